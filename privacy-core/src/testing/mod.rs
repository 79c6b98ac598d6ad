//! The leak-test kit (not yet built).
