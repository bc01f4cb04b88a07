# The weight-decay parameter groups of the Python benchmark references: no
# decay for biases and 1-d tensors (timm's param_groups_weight_decay,
# main_dino.py's get_params_groups, Hugging Face's no_decay list for BERT).


def weight_decay_groups(named_params, weight_decay, no_decay_extra=None):
    """Two groups of the trainable parameters: decayed (>= 2-d, not a bias) and not decayed (+ no_decay_extra)."""
    decay, no_decay = [], []
    for name, p in named_params:
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 or name.endswith('.bias') else decay).append(p)
    extra = no_decay_extra or {}
    return [{'params': decay, 'weight_decay': weight_decay}, {'params': no_decay, 'weight_decay': 0.0, **extra}]
