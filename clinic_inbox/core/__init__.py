"""The product's rules: no Qt, no network. Tests drive it without a display."""
