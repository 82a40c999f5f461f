//! Upcasting: older payload shapes become the current one when read, so the rest of the code
//! knows one shape per type. Stored events are never rewritten.
//!
//! Each step takes version `n` to `n + 1`; [`to_current`] chains them. Fixtures of every old
//! version stay in `events/testdata/upcast/` and are read by the tests forever.

use serde_json::{Value, json};

use super::DecodeError;

/// Brings `payload` from version `from` to version `to` of `event_type`.
pub(super) fn to_current(
    event_type: &str,
    from: i32,
    to: i32,
    mut payload: Value,
) -> Result<Value, DecodeError> {
    for version in from..to {
        payload = step(event_type, version, payload)?;
    }
    Ok(payload)
}

fn step(event_type: &str, version: i32, payload: Value) -> Result<Value, DecodeError> {
    let Value::Object(mut fields) = payload else {
        let detail = "the payload is not an object".to_owned();
        return Err(DecodeError::Malformed { event_type: event_type.to_owned(), detail });
    };
    match (event_type, version) {
        // v2 added the SKKNI units, the facilities whose inmates may be nominated, and the
        // grant policy. A v1 package named no facilities and gave grants to graduates only.
        ("PackageDefined", 1) => {
            fields.entry("skkni_units").or_insert(json!([]));
            fields.entry("facilities").or_insert(json!([]));
            fields.entry("grant_policy").or_insert(json!("graduates_only"));
        }
        // v2 added the category, legal status, register class and coarse attributes. v1 was
        // written only for sentenced inmates, whose other attributes were not recorded.
        ("ParticipantNominated", 1) => {
            fields.entry("category").or_insert(json!("wbp"));
            fields.entry("legal_status").or_insert(json!("narapidana"));
            fields.entry("register_class").or_insert(Value::Null);
            fields.entry("attributes").or_insert(json!({
                "sex": null, "age_band": null, "offence_group": null, "sentence_band": null
            }));
        }
        _ => {
            return Err(DecodeError::UnsupportedVersion {
                event_type: event_type.to_owned(),
                version,
            });
        }
    }
    Ok(Value::Object(fields))
}
