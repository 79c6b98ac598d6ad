use std::collections::HashMap;

use privacy_core::PersonalData;
use serde::Serialize;

#[derive(PersonalData, Serialize)]
struct Profile {
    #[personal(subject_id)]
    id: u64,
    #[personal(category = "custom:profile.extra")]
    #[serde(flatten)]
    extra: HashMap<String, String>,
}

fn main() {}
