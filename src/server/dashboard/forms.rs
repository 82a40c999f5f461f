//! The form engine: a command's form drawn from its [`FormSpec`], what was typed read back into
//! the command's JSON, and each field's mistake said where it was made. Pure but for the
//! lists a form offers, which the caller loads.
//!
//! A form is drawn with the command id it will be sent with; ids the command makes (a new
//! package, session, assessment…) derive from it, so a double click, a reload or a resubmit
//! sends the same command and the log answers with the first result.

use std::collections::BTreeMap;

use maud::{Markup, html};
use serde_json::{Value, json};
use uuid::Uuid;

use super::catalogue::{FormSpec, ITEM_ROWS, Kind, Register};
use super::form_labels;
use super::i18n::Lang;
use super::words::word;

/// What was typed (or given in the link), by field name; the last value of a name wins.
pub type Values = BTreeMap<String, String>;

/// Reads name–value pairs into [`Values`].
pub fn values(pairs: Vec<(String, String)>) -> Values {
    pairs.into_iter().collect()
}

/// The mistakes of a form: the field (or `""` for the form as a whole) and what to do.
pub type Errors = Vec<(String, String)>;

/// A choice a form offers for a field of an entity: its id, how people know it, and the
/// state it is in (for the forms that offer only some states).
#[derive(Debug, Clone)]
pub struct Choice {
    pub id: String,
    pub label: String,
    pub state: String,
    /// The package it belongs to (sessions, participations): links narrow by it.
    pub package: Option<String>,
}

/// The entities a form may offer, as the user may see them.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub packages: Vec<Choice>,
    pub participations: Vec<Choice>,
    pub sessions: Vec<Choice>,
    pub grants: Vec<Choice>,
}

/// A label of the forms in the language; the key itself when it has none (a test forbids it).
fn label(name: &str, lang: Lang) -> (&'static str, &'static str) {
    form_labels::field(name, lang == Lang::Id).unwrap_or(("?", ""))
}

/// A word for a code, or the code.
fn word_of(code: &str, lang: Lang) -> String {
    word(code, lang == Lang::Id).map_or_else(|| code.to_owned(), str::to_owned)
}

fn say(lang: Lang, indonesian: &str, english: &str) -> String {
    if lang == Lang::Id { indonesian } else { english }.to_owned()
}

/// The id a command makes for `field`, derived from the form's command id.
pub fn derived_id(command_id: Uuid, field: &str) -> Uuid {
    Uuid::new_v5(&command_id, field.as_bytes())
}

/// The person a form names, once resolved: a reference, or why none could be had.
pub type Person = Result<Option<String>, String>;

/// Reads the form into the command's JSON (envelope included), or the mistakes made.
pub fn read(
    spec: &FormSpec,
    values: &Values,
    command_id: Uuid,
    person: &Person,
    lang: Lang,
) -> Result<Value, Errors> {
    let mut object = serde_json::Map::new();
    let mut errors = Errors::new();
    object.insert("command_id".to_owned(), json!(command_id));
    object.insert("type".to_owned(), json!(spec.command));
    for field in spec.fields {
        let given = values.get(field.name).map(|value| value.trim()).unwrap_or_default();
        let read = match field.kind {
            Kind::NewId => Ok(Some(json!(derived_id(command_id, field.name)))),
            Kind::Person(_) => match person {
                Ok(Some(person_ref)) => Ok(Some(json!(person_ref))),
                Ok(None) => Ok(None),
                Err(message) => Err(message.clone()),
            },
            Kind::Items => read_items(values, lang),
            _ if given.is_empty() => Ok(None),
            kind => read_value(kind, given, lang).map(Some),
        };
        match read {
            Ok(Some(value)) => {
                object.insert(field.name.to_owned(), value);
            }
            Ok(None) if field.required => {
                let message = if lang == Lang::Id { "wajib diisi." } else { "is required." };
                errors.push((
                    field.name.to_owned(),
                    format!("{} {message}", label(field.name, lang).0),
                ))
            }
            Ok(None) => {}
            Err(message) => errors
                .push((field.name.to_owned(), format!("{}: {message}", label(field.name, lang).0))),
        }
    }
    if errors.is_empty() { Ok(Value::Object(object)) } else { Err(errors) }
}

/// One typed value as JSON, or what is wrong with it.
fn read_value(kind: Kind, given: &str, lang: Lang) -> Result<Value, String> {
    match kind {
        Kind::Text(max) => within(given, max, lang).map(|text| json!(text)),
        Kind::LongText => within(given, events::limits::REASON_BYTES_MAX, lang).map(|t| json!(t)),
        Kind::Facility => within(given, events::limits::NAME_BYTES_MAX, lang).map(|t| json!(t)),
        Kind::Date => given.parse::<chrono::NaiveDate>().map(|date| json!(date)).map_err(|_| {
            say(lang, "Tulis tanggal seperti 2026-03-02.", "Write a date such as 2026-03-02.")
        }),
        Kind::Time => {
            let time = if given.len() == 5 { format!("{given}:00") } else { given.to_owned() };
            time.parse::<chrono::NaiveTime>()
                .map(|_| json!(time))
                .map_err(|_| say(lang, "Tulis jam seperti 08:00.", "Write a time such as 08:00."))
        }
        Kind::Count => given.parse::<u32>().map(|n| json!(n)).map_err(|_| {
            say(lang, "Tulis bilangan bulat 0 atau lebih.", "Write a whole number, 0 or more.")
        }),
        Kind::Rupiah => rupiah(given).map(|n| json!(n)).ok_or_else(|| {
            say(
                lang,
                "Tulis nilai rupiah dengan angka, misalnya 1.500.000.",
                "Write the rupiah amount in digits, e.g. 1,500,000.",
            )
        }),
        Kind::Choice(codes) => {
            codes.iter().find(|code| **code == given).map(|code| json!(code)).ok_or_else(|| {
                say(lang, "Pilih salah satu dari daftar.", "Choose one of the list.")
            })
        }
        Kind::YesNo => match given {
            "ya" => Ok(json!(true)),
            "tidak" => Ok(json!(false)),
            _ => Err(say(lang, "Pilih ya atau tidak.", "Choose yes or no.")),
        },
        Kind::List => Ok(json!(
            given.split(',').map(str::trim).filter(|item| !item.is_empty()).collect::<Vec<_>>()
        )),
        Kind::Package | Kind::Participation(_) | Kind::Session | Kind::Grant(_) => {
            Uuid::parse_str(given)
                .map(|id| json!(id))
                .map_err(|_| say(lang, "Pilih dari daftar.", "Choose from the list."))
        }
        Kind::NewId | Kind::Person(_) | Kind::Items => Ok(Value::Null),
    }
}

/// Text within a length, in bytes.
fn within(text: &str, max: usize, lang: Lang) -> Result<&str, String> {
    if text.len() <= max {
        return Ok(text);
    }
    Err(if lang == Lang::Id {
        format!("Terlalu panjang: paling banyak {max} huruf.")
    } else {
        format!("Too long: at most {max} characters.")
    })
}

/// Rupiah as people write it: digits, with dots, commas or spaces between thousands, an
/// optional `Rp`.
pub fn rupiah(text: &str) -> Option<i64> {
    let digits: String = text
        .trim()
        .trim_start_matches("Rp")
        .trim_start_matches("rp")
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The grant's equipment rows: a row with a name needs its quantity and unit value.
fn read_items(values: &Values, lang: Lang) -> Result<Option<Value>, String> {
    let mut items = Vec::new();
    for row in 1..=ITEM_ROWS {
        let get = |name: &str| {
            values.get(&format!("{name}_{row}")).map(|v| v.trim().to_owned()).unwrap_or_default()
        };
        let (name, quantity, value) = (get("item_name"), get("item_quantity"), get("item_value"));
        if name.is_empty() && quantity.is_empty() && value.is_empty() {
            continue;
        }
        let quantity: Option<i64> = quantity.parse().ok();
        let (Some(quantity), Some(value), false) = (quantity, rupiah(&value), name.is_empty())
        else {
            return Err(if lang == Lang::Id {
                format!("Baris {row}: isi nama barang, jumlah dan harga satuan.")
            } else {
                format!("Row {row}: give the item's name, quantity and unit value.")
            });
        };
        items.push(json!({"name": name, "quantity": quantity, "unit_value_rupiah": value}));
    }
    Ok((!items.is_empty()).then(|| json!(items)))
}

/// How a form is drawn: the values to show, the mistakes to say, the lists to offer.
pub struct Drawn<'a> {
    pub spec: &'a FormSpec,
    pub values: &'a Values,
    pub errors: &'a Errors,
    pub lists: &'a Lists,
    pub lang: Lang,
    /// Whether the user may look a person up by NIK.
    pub by_nik: bool,
}

/// The error summary at the top of a refused form: each mistake, linked to its field.
pub fn error_summary(lang: Lang, errors: &Errors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary #error-summary role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
                h2 #error-summary-title { (say(lang, "Ada masalah", "There is a problem")) }
                ul {
                    @for (field, message) in errors {
                        @if field.is_empty() {
                            li { (message) }
                        } @else {
                            li { a href=(format!("#f-{field}")) { (message) } }
                        }
                    }
                }
            }
        }
    }
}

/// Every field of the form, each with its label, hint and mistake.
pub fn fields(drawn: &Drawn<'_>) -> Markup {
    html! {
        @for field in drawn.spec.fields {
            @if field.kind != Kind::NewId {
                (one_field(drawn, field.name, field.kind, field.required))
            }
        }
    }
}

fn error_of<'e>(errors: &'e Errors, name: &str) -> Option<&'e str> {
    errors.iter().find(|(field, _)| field == name).map(|(_, message)| message.as_str())
}

fn one_field(drawn: &Drawn<'_>, name: &str, kind: Kind, required: bool) -> Markup {
    let lang = drawn.lang;
    let (text, hint) = label(name, lang);
    let error = error_of(drawn.errors, name);
    let value = drawn.values.get(name).map(String::as_str).unwrap_or_default();
    let id = format!("f-{name}");
    let described =
        [(!hint.is_empty()).then(|| format!("{id}-hint")), error.map(|_| format!("{id}-error"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
    let optional =
        if required { "" } else { if lang == Lang::Id { " (tidak wajib)" } else { " (optional)" } };
    html! {
        div class=(if error.is_some() { "field field-error" } else { "field" }) {
            @match kind {
                Kind::Person(register) => (person_field(drawn, register, error)),
                Kind::Items => (items_field(drawn, error)),
                Kind::YesNo | Kind::Choice(_) if options_of(kind).len() <= 4 => {
                    fieldset aria-describedby=[(!described.is_empty()).then_some(&described)] {
                        legend { (text) (optional) }
                        @if !hint.is_empty() { span.hint #(format!("{id}-hint")) { (hint) } }
                        @if let Some(error) = error { span.error #(format!("{id}-error")) { (error) } }
                        @for (index, (code, shown)) in options_of(kind).iter().enumerate() {
                            @let option_id = if index == 0 { id.clone() } else { format!("{id}-{index}") };
                            label.radio for=(option_id) {
                                input type="radio" id=(option_id) name=(name) value=(code) checked[value == *code] required[required];
                                " " (word_label(shown, lang))
                            }
                        }
                    }
                }
                _ => {
                    label for=(id) { (text) (optional) }
                    @if !hint.is_empty() { span.hint #(format!("{id}-hint")) { (hint) } }
                    @if let Some(error) = error { span.error #(format!("{id}-error")) { (error) } }
                    (input(drawn, name, kind, required, &id, &described, value))
                }
            }
        }
    }
}

/// The options of a choice: its codes, each with the code its word is found by.
fn options_of(kind: Kind) -> Vec<(&'static str, &'static str)> {
    match kind {
        Kind::Choice(codes) => codes.iter().map(|code| (*code, *code)).collect(),
        Kind::YesNo => vec![("ya", "yes"), ("tidak", "no")],
        _ => Vec::new(),
    }
}

fn word_label(code: &str, lang: Lang) -> String {
    match code {
        "yes" => say(lang, "Ya", "Yes"),
        "no" => say(lang, "Tidak", "No"),
        code => word_of(code, lang),
    }
}

fn input(
    drawn: &Drawn<'_>,
    name: &str,
    kind: Kind,
    required: bool,
    id: &str,
    described: &str,
    value: &str,
) -> Markup {
    let lang = drawn.lang;
    let described = (!described.is_empty()).then_some(described);
    let invalid = error_of(drawn.errors, name).map(|_| "true");
    let entity = |choices: &[Choice], states: &[&str]| -> Markup {
        let offered: Vec<&Choice> = choices
            .iter()
            .filter(|c| states.is_empty() || states.contains(&c.state.as_str()) || c.id == value)
            .filter(|c| {
                let package = drawn.values.get("package_id");
                c.package.is_none()
                    || package.is_none_or(|p| p.is_empty() || c.package.as_ref() == Some(p))
            })
            .collect();
        html! {
            select id=(id) name=(name) required[required] aria-describedby=[described] aria-invalid=[invalid] {
                option value="" { (say(lang, "— pilih —", "— choose —")) }
                @for choice in offered {
                    option value=(choice.id) selected[choice.id == value] { (choice.label) }
                }
            }
        }
    };
    match kind {
        Kind::Package => entity(&drawn.lists.packages, &["planned", "started"]),
        Kind::Participation(states) => entity(&drawn.lists.participations, states),
        Kind::Session => entity(&drawn.lists.sessions, &[]),
        Kind::Grant(states) => entity(&drawn.lists.grants, states),
        Kind::Choice(codes) => html! {
            select id=(id) name=(name) required[required] aria-describedby=[described] aria-invalid=[invalid] {
                option value="" { (say(lang, "— pilih —", "— choose —")) }
                @for code in codes { option value=(code) selected[*code == value] { (word_of(code, lang)) } }
            }
        },
        Kind::LongText => html! {
            textarea id=(id) name=(name) rows="3" required[required] aria-describedby=[described] aria-invalid=[invalid] { (value) }
        },
        _ => {
            let (kind_attr, mode) = match kind {
                Kind::Date => ("date", None),
                Kind::Time => ("time", None),
                Kind::Count => ("text", Some("numeric")),
                Kind::Rupiah => ("text", Some("numeric")),
                _ => ("text", None),
            };
            html! {
                input type=(kind_attr) id=(id) name=(name) value=(value) inputmode=[mode]
                    required[required] aria-describedby=[described] aria-invalid=[invalid] autocomplete="off";
            }
        }
    }
}

/// A person: named by the link (a reference), or by an SDP or applicant number, or a NIK.
fn person_field(drawn: &Drawn<'_>, register: Register, error: Option<&str>) -> Markup {
    let lang = drawn.lang;
    let given = drawn.values.get("person_ref").filter(|value| !value.is_empty());
    let number = match register {
        Register::Sdp => "sdp_number",
        Register::Applicant => "applicant_number",
    };
    let (number_label, number_hint) = label(number, lang);
    let (nik_label, nik_hint) = label("nik", lang);
    let (person_label, _) = label("person_ref", lang);
    let get = |name: &str| drawn.values.get(name).map(String::as_str).unwrap_or_default();
    html! {
        fieldset #f-person_ref {
            legend { (person_label) }
            @if let Some(error) = error { span.error #f-person_ref-error { (error) } }
            @if let Some(person_ref) = given {
                p.given { (short_ref(person_ref)) }
                input type="hidden" name="person_ref" value=(person_ref);
            } @else {
                label for="f-number" { (number_label) }
                span.hint #f-number-hint { (number_hint) }
                input #f-number type="text" name=(number) value=(get(number)) aria-describedby="f-number-hint" autocomplete="off";
                @if drawn.by_nik {
                    label for="f-nik" { (nik_label) (say(lang, " (atau)", " (or)")) }
                    span.hint #f-nik-hint { (nik_hint) }
                    input #f-nik type="text" name="nik" inputmode="numeric" value=(get("nik")) aria-describedby="f-nik-hint" autocomplete="off";
                }
            }
        }
    }
}

/// The grant's equipment, as rows.
fn items_field(drawn: &Drawn<'_>, error: Option<&str>) -> Markup {
    let lang = drawn.lang;
    let (legend, hint) = label("items", lang);
    let get = |name: &str| drawn.values.get(name).map(String::as_str).unwrap_or_default();
    html! {
        fieldset #f-items aria-describedby="f-items-hint" {
            legend { (legend) }
            span.hint #f-items-hint { (hint) }
            @if let Some(error) = error { span.error #f-items-error { (error) } }
            @for row in 1..=ITEM_ROWS {
                div.item {
                    @for (column, size) in [("item_name", "20"), ("item_quantity", "4"), ("item_value", "10")] {
                        @let name = format!("{column}_{row}");
                        label for=(format!("f-{name}")) { (label(column, lang).0) " " (row)
                            input id=(format!("f-{name}")) type="text" name=(name) size=(size) value=(get(&name)) autocomplete="off"; }
                    }
                }
            }
        }
    }
}

/// A person ref as people can read and say it: its first eight characters.
pub fn short_ref(person_ref: &str) -> String {
    person_ref.chars().take(9).collect()
}

/// The answers of a form as a list, for "check your answers".
pub fn answers(drawn: &Drawn<'_>, person: &str) -> Markup {
    let lang = drawn.lang;
    let shown = |name: &str, kind: Kind| -> Option<String> {
        let value = drawn.values.get(name).map(|v| v.trim()).unwrap_or_default();
        match kind {
            Kind::NewId => None,
            Kind::Person(_) => Some(short_ref(person)),
            Kind::Items => Some(
                (1..=ITEM_ROWS)
                    .filter_map(|row| {
                        let get = |n: &str| {
                            drawn.values.get(&format!("{n}_{row}")).cloned().unwrap_or_default()
                        };
                        let name = get("item_name");
                        (!name.trim().is_empty()).then(|| {
                            format!("{} × {} @ Rp{}", get("item_quantity"), name, get("item_value"))
                        })
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ if value.is_empty() => None,
            Kind::Choice(_) => Some(word_of(value, lang)),
            Kind::YesNo => Some(word_label(if value == "ya" { "yes" } else { "no" }, lang)),
            Kind::Package => Some(choice_label(&drawn.lists.packages, value)),
            Kind::Participation(_) => Some(choice_label(&drawn.lists.participations, value)),
            Kind::Session => Some(choice_label(&drawn.lists.sessions, value)),
            Kind::Grant(_) => Some(choice_label(&drawn.lists.grants, value)),
            _ => Some(value.to_owned()),
        }
    };
    html! {
        dl.answers {
            @for field in drawn.spec.fields {
                @if let Some(value) = shown(field.name, field.kind) {
                    dt { (label(field.name, lang).0) }
                    dd { (value) }
                }
            }
        }
    }
}

fn choice_label(choices: &[Choice], id: &str) -> String {
    choices.iter().find(|c| c.id == id).map_or_else(|| id.to_owned(), |c| c.label.clone())
}

/// Hidden inputs carrying every value of a form onward (to "check your answers" and back).
pub fn carried(values: &Values, except: &[&str]) -> Markup {
    html! {
        @for (name, value) in values {
            @if !except.contains(&name.as_str()) {
                input type="hidden" name=(name) value=(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::dashboard::catalogue::named;

    fn typed(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_form_reads_into_the_commands_json_with_ids_derived_from_its_command_id() {
        let spec = named("schedule_session").unwrap();
        let command_id = Uuid::from_u128(7);
        let package = Uuid::from_u128(9).to_string();
        let values = typed(&[
            ("package_id", &package),
            ("date", "2026-03-03"),
            ("start_time", "08:00"),
            ("end_time", "12:00"),
            ("hours", "4"),
        ]);
        let json = read(spec, &values, command_id, &Ok(None), Lang::Id).unwrap();
        let envelope = events::command::CommandEnvelope::from_value(json.clone()).unwrap();
        assert_eq!(envelope.command_id, command_id);
        assert_eq!(json["session_id"], json!(derived_id(command_id, "session_id")));
        assert_eq!(json["start_time"], "08:00:00");
        // The same form read again is the same command.
        assert_eq!(read(spec, &values, command_id, &Ok(None), Lang::Id).unwrap(), json);
    }

    #[test]
    fn each_mistake_is_said_at_its_field_in_the_language() {
        let spec = named("schedule_session").unwrap();
        let values = typed(&[("date", "3/3/2026"), ("hours", "empat")]);
        let errors = read(spec, &values, Uuid::nil(), &Ok(None), Lang::En).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["package_id", "date", "start_time", "end_time", "hours"]);
        assert!(errors[1].1.contains("2026-03-02"));
        let errors = read(spec, &values, Uuid::nil(), &Ok(None), Lang::Id).unwrap_err();
        assert_eq!(errors[0].1, "Paket wajib diisi.");
    }

    #[test]
    fn rupiah_is_read_as_people_write_it() {
        assert_eq!(rupiah("1.500.000"), Some(1_500_000));
        assert_eq!(rupiah("Rp 2,000,000"), Some(2_000_000));
        assert_eq!(rupiah("750000"), Some(750_000));
        assert_eq!(rupiah("-5"), None);
        assert_eq!(rupiah("satu juta"), None);
    }

    #[test]
    fn grant_items_need_a_name_a_quantity_and_a_unit_value() {
        let spec = named("propose_grant").unwrap();
        let values = typed(&[
            ("participation_id", &Uuid::from_u128(1).to_string()),
            ("item_name_1", "Mesin jahit"),
            ("item_quantity_1", "1"),
            ("item_value_1", "2.500.000"),
            ("item_name_2", "Gunting"),
            ("capital_rupiah", "1.000.000"),
            ("funding_source", "APBD"),
            ("budget_line", "5.2.2"),
        ]);
        let errors = read(spec, &values, Uuid::nil(), &Ok(None), Lang::En).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].0 == "items" && errors[0].1.contains("Row 2"), "{errors:?}");
        let mut values = values;
        values.insert("item_quantity_2".to_owned(), "2".to_owned());
        values.insert("item_value_2".to_owned(), "50000".to_owned());
        let json = read(spec, &values, Uuid::nil(), &Ok(None), Lang::En).unwrap();
        assert_eq!(json["items"][0]["unit_value_rupiah"], 2_500_000);
        assert_eq!(json["capital_rupiah"], 1_000_000);
        events::command::CommandEnvelope::from_value(json).unwrap();
    }
}
