//! Compile-fail proof that a redacted view cannot be deserialized back into a record.

#[test]
fn redacted_output_cannot_be_deserialized_into_the_record() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui-redacted/*.rs");
}
