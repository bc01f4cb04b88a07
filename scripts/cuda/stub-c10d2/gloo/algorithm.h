// Present so that __has_include(<gloo/algorithm.h>) holds in the c10d syntax check.
