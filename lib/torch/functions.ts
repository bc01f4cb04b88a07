// torch.* functions over several tensors (cat, stack, einsum, where, ...).
// Filled in by the operator method groups.
export {};
