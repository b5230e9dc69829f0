//! switch_weights
