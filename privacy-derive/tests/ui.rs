//! Compile-fail cases of `#[derive(PersonalData)]`: one diagnostic per file in `tests/ui/`,
//! with the expected compiler output checked in beside it.

#[test]
fn every_invalid_annotation_fails_with_its_checked_in_diagnostic() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
