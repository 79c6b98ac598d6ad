//! Examples and workspace-level integration tests of `privacy-core`; nothing to use here.
