# Python side of scripts/bench-text.ts: seconds per CPU training step of BERT
# pre-training (MLM + NSP) and of CLIP, written as a PyTorch user writes them,
# with the plain-torch BERT of the parity tests (test/helpers/text_models_ref.py,
# Hugging Face's module structure) and the small CNN of models_ref.py, on
# Debian's python3-torch (the same libtorch 1.13 as the addon). The batches are
# fixed tensors built by the same formulas as the Node side (no tokenizer, no
# masking draws). A step is zero_grad, forward, loss, backward, gradient
# clipping (BERT), AdamW step, the logit-scale clamp (CLIP).
#   /usr/bin/python3 bench_text.py '<json {"cases", "config", "steps", "warmup", "threads"}>'
# Prints one JSON object {name: {"wall": [seconds per step], "cpu": [CPU seconds per step]}}.
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'helpers'))
from models_ref import SmallCnn  # noqa: E402
from text_models_ref import BertForPreTraining, BertModel  # noqa: E402
from param_groups import weight_decay_groups  # noqa: E402
from step_samples import run_job  # noqa: E402


def text_config(c):
    return {'vocabSize': c['vocabSize'], 'hiddenSize': c['hiddenSize'], 'numHiddenLayers': c['layers'],
            'numAttentionHeads': c['heads'], 'intermediateSize': c['intermediateSize'], 'hiddenAct': 'gelu',
            'maxPositionEmbeddings': c['maxPositionEmbeddings'], 'typeVocabSize': 2, 'layerNormEps': 1e-12}


def token_ids(B, T, V):
    """The Node side's formula: ids past the five special tokens, [CLS] first."""
    ids = torch.tensor([[5 + (b * 131 + t * 17) % (V - 5) for t in range(T)] for b in range(B)])
    ids[:, 0] = 2
    return ids


def bert(c):
    model = BertForPreTraining(text_config(c))
    model.train()
    opt = torch.optim.AdamW(weight_decay_groups(model.named_parameters(), c['weightDecay']), lr=c['lr'], betas=(0.9, 0.999))
    B, T, V = c['batch'], c['length'], c['vocabSize']
    ids = token_ids(B, T, V)
    types = torch.tensor([[0 if t < T // 2 else 1 for t in range(T)] for _ in range(B)])
    mask = torch.ones(B, T, dtype=torch.int64)
    chosen = torch.tensor([[t > 0 and (b * T + t) % 7 == 3 for t in range(T)] for b in range(B)])
    labels = ids[chosen]
    pair_labels = torch.tensor([b % 2 for b in range(B)])

    def step():
        opt.zero_grad(set_to_none=True)
        h, pooled = model.bert(ids, types, mask)
        # Only the chosen positions go through the vocabulary projection, as google-research/bert's
        # gather_indexes (and lib/ssl/losses/mlm-loss.ts) do.
        mlm = F.cross_entropy(model.cls.predictions(h[chosen]), labels)
        loss = mlm + F.cross_entropy(model.cls.seq_relationship(pooled), pair_labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c['clipGrad'])
        opt.step()
    return step


def clip(c):
    m = nn.Module()
    m.vision_model = SmallCnn(1, 0, c['width'])
    m.text_model = BertModel(text_config(c['text']))
    m.visual_projection = nn.Linear(4 * c['width'], c['embedDim'], bias=False)
    m.text_projection = nn.Linear(c['text']['hiddenSize'], c['embedDim'], bias=False)
    m.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    m.train()
    opt = torch.optim.AdamW(weight_decay_groups(m.named_parameters(), c['weightDecay']), lr=c['lr'], betas=(0.9, 0.98))
    B, T, V = c['batch'], c['text']['length'], c['text']['vocabSize']
    images = torch.randn(B, 1, c['size'], c['size'])
    ids = token_ids(B, T, V)
    types = torch.zeros(B, T, dtype=torch.int64)
    mask = torch.ones(B, T, dtype=torch.int64)
    target = torch.arange(B)

    def step():
        opt.zero_grad(set_to_none=True)
        img = F.normalize(m.visual_projection(m.vision_model(images)), dim=-1)
        txt = F.normalize(m.text_projection(m.text_model(ids, types, mask)[0][:, 0]), dim=-1)
        logits = m.logit_scale.exp() * img @ txt.t()
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        loss.backward()
        opt.step()
        with torch.no_grad():
            m.logit_scale.clamp_(0, math.log(100))
    return step


BUILDERS = {'bert': bert, 'clip': clip}


def main():
    run_job(BUILDERS)


if __name__ == '__main__':
    main()
