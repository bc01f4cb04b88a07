// Loads every group of Tensor methods onto Tensor.prototype.
import './conversion';
