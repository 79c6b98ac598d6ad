//! `Pii<T>`: a wrapper for personal values outside derived structs (not yet built).
