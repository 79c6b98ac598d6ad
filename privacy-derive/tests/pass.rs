//! Programs that must compile and run: generics, tuple structs, lifetimes, nested records,
//! every category, custom categories and anonymizers, and shadowed prelude names.

#[test]
fn valid_annotations_compile_and_behave() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
}
