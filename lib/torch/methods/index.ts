// Loads every group of Tensor methods onto Tensor.prototype.
import './conversion';
import './arithmetic';
import './comparison';
import './reduction';
import './shape';
import './indexing';
import './linalg';
import './activation';
import './sorting';
