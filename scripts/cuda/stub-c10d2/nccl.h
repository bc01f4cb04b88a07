// Present so that __has_include(<nccl.h>) holds in the c10d syntax check.
