//! Two types with one record name: the data map names both (its own test binary, since the
//! clash would fail every map built beside it).

use privacy_core::requests::{DataMap, Problem};
use privacy_core::PersonalData;

mod billing {
    #[derive(privacy_core::PersonalData)]
    pub struct Account {
        #[personal(subject_id)]
        pub id: u64,
    }
}

mod support {
    #[derive(privacy_core::PersonalData)]
    pub struct Account {
        #[personal(subject_id)]
        pub id: u64,
    }
}

/// A generic type is not registered: nothing asks for it.
#[derive(PersonalData)]
#[allow(dead_code)]
struct Envelope<T: privacy_core::PersonalData> {
    #[personal(nested)]
    inner: T,
}

/// Nor is a type with a lifetime.
#[derive(PersonalData)]
#[allow(dead_code)]
struct Borrowed<'a> {
    #[personal(category = "contact.email")]
    email: &'a str,
}

#[test]
fn generic_types_are_not_registered() {
    assert!(!privacy_core::requests::registered()
        .any(|r| r.path().ends_with("::Envelope") || r.path().ends_with("::Borrowed")));
    assert_eq!(privacy_core::requests::registered().count(), 2);
}

#[test]
fn two_types_with_one_record_name_are_an_error_naming_both() {
    let err = DataMap::builder()
        .never_stored::<billing::Account>()
        .never_stored::<support::Account>()
        .check()
        .unwrap_err();
    assert!(
        matches!(
            err.problems.as_slice(),
            [Problem::SameName { name: "Account", first, second }]
                if [*first, *second].contains(&"requests_map_names::billing::Account")
                    && [*first, *second].contains(&"requests_map_names::support::Account")
        ),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("pin another with #[personal(name = \"...\")]"));
}
