//! Hostile input for the decoders: whatever bytes arrive as a stored event or a command, the
//! decoder answers with a typed error or a value, never a panic. (The reliability issue; the
//! CSV importers and the API are tried in the integration suite.)

use events::catalogue::Event;
use events::command::{Command, CommandEnvelope};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Any JSON value, a few levels deep, with keys that are often the catalogue's own.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("participation_id".to_owned()),
        Just("package_id".to_owned()),
        Just("person_ref".to_owned()),
        Just("date".to_owned()),
        Just("code".to_owned()),
        Just("quota_total".to_owned()),
        Just("items".to_owned()),
        Just("type".to_owned()),
        "[a-z_]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("2026-02-30")),
        Just(json!("'; DROP TABLE events; --")),
        Just(json!("../../etc/passwd")),
        Just(json!("18446744073709551616")),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn event_type() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(Event::TYPES).prop_map(|(name, _)| name.to_owned()),
        1 => ".{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn the_event_decoder_never_panics_on_any_text(
        event_type in event_type(),
        version in -2..5_i32,
        payload in ".{0,200}",
    ) {
        let _ = Event::decode(&event_type, version, &payload);
    }

    #[test]
    fn the_event_decoder_never_panics_on_any_json(
        event_type in event_type(),
        version in 0..4_i32,
        payload in any_json(),
    ) {
        let _ = Event::decode(&event_type, version, &payload.to_string());
    }

    #[test]
    fn the_command_decoder_never_panics_on_any_text(text in ".{0,300}") {
        let _ = CommandEnvelope::from_json(&text);
    }

    #[test]
    fn the_command_decoder_never_panics_on_any_command_shape(
        name in prop::sample::select(Command::NAMES),
        command_id in prop_oneof![Just(json!("6d6f636b-0000-4000-8000-000000000001")), any_json()],
        occurred_at in prop_oneof![Just(Value::Null), Just(json!("2026-11-28T08:00:00+08:00")), any_json()],
        fields in prop::collection::vec(("[a-z_]{1,20}", any_json()), 0..10),
    ) {
        let mut object: Map<String, Value> = fields.into_iter().collect();
        object.insert("type".to_owned(), json!(name));
        object.insert("command_id".to_owned(), command_id);
        if !occurred_at.is_null() {
            object.insert("occurred_at".to_owned(), occurred_at);
        }
        let _ = CommandEnvelope::from_value(Value::Object(object));
    }
}

#[test]
fn deeply_nested_and_oversized_input_is_refused_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(CommandEnvelope::from_json(&deep).is_err());
    assert!(Event::decode("PackageDefined", 2, &deep).is_err());
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000));
    assert!(CommandEnvelope::from_json(&deep_object).is_err());
    let huge_number = format!(
        r#"{{"command_id":"x","type":"define_package","quota_total":{}}}"#,
        "9".repeat(5_000)
    );
    assert!(CommandEnvelope::from_json(&huge_number).is_err());
    let invalid_utf8 = String::from_utf8_lossy(&[0xff, 0xfe, b'{', 0xc3, 0x28]).into_owned();
    assert!(CommandEnvelope::from_json(&invalid_utf8).is_err());
}
