//! What a keyring needs of the operating system: fork detection and quiescence
//! (`pthread_atfork`) and a coarse monotonic clock (`clock_gettime`). The crate's only
//! `unsafe` code lives here, each call audited in its file.

pub(crate) mod clock;
pub(crate) mod fork;
