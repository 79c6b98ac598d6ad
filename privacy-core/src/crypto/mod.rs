//! Encryption at rest (not yet built).
