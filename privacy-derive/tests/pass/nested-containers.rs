use privacy_core::PersonalData;

#[derive(PersonalData)]
struct Device {
    #[personal(category = "device.id")]
    imei: String,
}

fn device(imei: &str) -> Device {
    Device {
        imei: imei.to_owned(),
    }
}

#[derive(PersonalData)]
struct Owner {
    #[personal(subject_id)]
    id: u64,
    #[personal(nested)]
    phone: Option<Device>,
    #[personal(nested)]
    laptops: Vec<Device>,
    #[personal(nested)]
    watch: Box<Device>,
}

fn main() {
    let mut owner = Owner {
        id: 1,
        phone: Some(device("111")),
        laptops: vec![device("222"), device("333")],
        watch: Box::new(device("444")),
    };
    assert_eq!(
        format!("{owner:?}"),
        "Owner { id: <identity.account_id>, phone: Some(Device { imei: <device.id> }), \
         laptops: [Device { imei: <device.id> }, Device { imei: <device.id> }], \
         watch: Device { imei: <device.id> } }"
    );
    let s = Owner::schema();
    let nested: Vec<_> = s.fields[1..]
        .iter()
        .map(|f| (f.name, f.nested.map(|n| n.type_name)))
        .collect();
    assert_eq!(
        nested,
        [
            ("phone", Some("Device")),
            ("laptops", Some("Device")),
            ("watch", Some("Device"))
        ]
    );
    let values: Vec<_> = owner
        .personal_values()
        .into_iter()
        .map(|v| v.value)
        .collect();
    assert_eq!(values, ["1", "111", "222", "333", "444"]);

    let report = owner.erase();
    // id retained, then one erased imei per nested device.
    assert_eq!(report.fields.len(), 5);
    assert_eq!(owner.phone.as_ref().map(|d| d.imei.as_str()), Some(""));
    assert!(owner.laptops.iter().all(|d| d.imei.is_empty()));
    assert!(owner.watch.imei.is_empty());

    let empty = Owner {
        id: 2,
        phone: None,
        laptops: Vec::new(),
        watch: Box::new(device("555")),
    };
    assert_eq!(
        format!("{empty:?}"),
        "Owner { id: <identity.account_id>, phone: None, laptops: [], watch: Device { imei: <device.id> } }"
    );
}
