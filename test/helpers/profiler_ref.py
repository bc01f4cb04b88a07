# Reference for test/torch/profiler.test.ts: runs each case's Python code under
# torch.profiler with scripts/profile_step.py's profile_events (the same
# function the comparison script uses) and answers with the event columns.
# Request on stdin: {"cases": [{"name": str, "setup": str, "body": str}]}; answer: [columns, ...].
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))

import torch  # noqa: E402
from profile_step import profile_events  # noqa: E402


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    out = []
    for case in request['cases']:
        scope = {'torch': torch}
        exec(case['setup'], scope)
        body = compile(case['body'], case['name'], 'exec')
        out.append(profile_events(lambda: exec(body, scope)))
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
