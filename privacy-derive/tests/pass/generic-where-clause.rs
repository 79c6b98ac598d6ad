use privacy_core::schema::FieldKind;
use privacy_core::{Category, PersonalData};
use serde::Serialize;
use std::fmt::Debug;

#[derive(PersonalData)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
}

#[derive(PersonalData)]
struct Envelope<T, N, M>
where
    T: Serialize + Clone,
    M: Debug + Copy,
{
    #[personal(category = "contact.email")]
    payload: T,
    #[personal(nested)]
    inner: N,
    #[personal(not_personal)]
    meta: M,
}

fn main() {
    let mut e = Envelope {
        payload: String::from("jane@example.com"),
        inner: Device {
            imei: String::from("490154203237518"),
        },
        meta: 7_u8,
    };
    assert_eq!(
        format!("{e:?}"),
        "Envelope { payload: <contact.email>, inner: Device { imei: <device.id> }, meta: 7 }"
    );

    let s = Envelope::<String, Device, u8>::schema();
    assert_eq!(s.type_name, "Envelope");
    assert_eq!(s.fields.len(), 2);
    assert_eq!(s.fields[0].category, Some(Category::ContactEmail));
    assert_eq!(s.fields[1].kind, FieldKind::Nested);
    assert_eq!(s.fields[1].nested.map(|n| n.type_name), Some("Device"));

    let report = e.erase();
    assert_eq!(report.fields.len(), 2);
    assert!(e.payload.is_empty());
    assert!(e.inner.imei.is_empty());
    assert_eq!(e.meta, 7);
}
