use privacy_core::PersonalData;

#[derive(PersonalData)]
union Bits {
    as_u32: u32,
    as_f32: f32,
}

fn main() {}
