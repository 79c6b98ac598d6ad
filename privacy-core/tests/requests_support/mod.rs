//! Shared by the requests_* tests.
#![allow(dead_code)]

pub mod model;
pub mod scenarios;
