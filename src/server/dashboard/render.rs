//! The dashboard's HTML: one layout, report tables, the overview's figures and the recidivism
//! chart (inline SVG). Everything is escaped by `maud`; nothing is fetched from elsewhere.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use projections::report::{Cell, Report, Section};

use super::i18n::{Lang, t};
use crate::users::User;

/// The stylesheet, inline: small, readable at 360 pixels, printable.
const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f6f7f9}
header{background:#14532d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
header a,header button{color:#fff}header .brand{font-weight:700;font-size:1.1rem;text-decoration:none}
nav{background:#fff;border-bottom:1px solid #d8dde3;padding:.3rem .6rem;display:flex;flex-wrap:wrap;gap:.2rem}
nav a{padding:.35rem .6rem;border-radius:4px;text-decoration:none;color:#14532d}nav a.on{background:#14532d;color:#fff}
main{padding:1rem;max-width:1200px;margin:0 auto}h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;background:#fff;padding:.6rem;border:1px solid #d8dde3;border-radius:6px;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5663}
input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid #b8c1cb;border-radius:4px;background:#fff}
button{background:#14532d;color:#fff;border-color:#14532d;cursor:pointer}button.link{background:none;border:0;text-decoration:underline;padding:0}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d8dde3;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.85rem}th,td{padding:.35rem .5rem;border-bottom:1px solid #e6e9ed;text-align:left;white-space:nowrap}
th{background:#eef1f4;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}td.s{color:#8a5a00}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:.6rem}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.7rem}.card .v{font-size:1.6rem;font-weight:700;color:#14532d}.card .l{font-size:.8rem;color:#4a5663}
.meta{font-size:.8rem;color:#4a5663;margin:.3rem 0 1rem;word-break:break-all}.notes{font-size:.85rem;color:#33404d;max-width:70ch}
.msg{padding:.6rem .8rem;border-radius:6px;background:#fff4d6;border:1px solid #e9c46a;margin-bottom:1rem}.ok{background:#e3f4e8;border-color:#7cc48f}
.signin{max-width:420px;margin:3rem auto;background:#fff;padding:1.4rem;border:1px solid #d8dde3;border-radius:8px}
.signin input{width:100%;margin:.4rem 0 .8rem}svg text{font:12px system-ui,sans-serif}
footer{font-size:.75rem;color:#4a5663;padding:1rem;text-align:center}
.form{max-width:40rem}.field{margin:0 0 1.1rem}.field>label,fieldset>legend{display:block;font-weight:600;margin-bottom:.2rem}
.hint{display:block;color:#4a5663;font-size:.85rem;margin-bottom:.3rem}.error{display:block;color:#b3261e;font-weight:600;margin-bottom:.3rem}
.field-error{border-left:4px solid #b3261e;padding-left:.7rem}fieldset{border:0;padding:0;margin:0 0 1rem;min-width:0}
.field input[type=text],.field input[type=date],.field input[type=time],.field select,.field textarea,fieldset>input{display:block;width:100%;max-width:28rem;margin-bottom:.4rem}
label.radio{display:block;padding:.3rem 0;font-weight:400}label.radio input{margin-right:.3rem}
.error-summary{border:3px solid #b3261e;padding:.8rem 1rem;margin-bottom:1rem;background:#fff}.error-summary h2{margin-top:0;color:#b3261e}.error-summary a{color:#b3261e;font-weight:600}
.buttons{margin-top:1rem;display:flex;gap:1rem;align-items:center}.about{margin:.2rem 0}
dl.answers{display:grid;grid-template-columns:minmax(7rem,14rem) 1fr;gap:.3rem 1rem;background:#fff;border:1px solid #d8dde3;padding:.8rem;border-radius:6px}dl.answers dt{font-weight:600}dl.answers dd{margin:0;overflow-wrap:anywhere}
ul.tasks li,ul.actions li{margin:.4rem 0}a.task{display:inline-block;margin-left:.5rem}section.work{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.2rem 1rem .6rem;margin-bottom:1rem}
fieldset.mark{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:.5rem .7rem;margin-bottom:.6rem}fieldset.mark legend{padding:0 .3rem}
.codes{display:flex;flex-wrap:wrap;gap:.1rem 1rem}.codes label.radio{display:inline-block}label.late{font-size:.85rem}
.item{display:flex;flex-wrap:wrap;gap:.3rem .6rem;margin-bottom:.4rem}.item label{font-size:.8rem;display:flex;flex-direction:column}
fieldset>label:not(.radio){display:block;font-weight:600;margin-top:.4rem}
:focus-visible{outline:3px solid #f5b700;outline-offset:2px}
"#;

/// The tab icon, inline, so that the browser asks the server for nothing but the page.
const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%2314532d'/%3E%3Cpath d='M9 3v7a3 3 0 0 1-6 0' stroke='%23fff' stroke-width='2' fill='none'/%3E%3C/svg%3E";

/// The pages of the navigation, with their paths.
pub const PAGES: [(&str, &str); 13] = [
    ("tugas", "/tugas"),
    ("overview", "/overview"),
    ("enrolment", "/enrolment"),
    ("attendance", "/attendance"),
    ("funnel", "/funnel"),
    ("outcomes", "/outcomes"),
    ("grants", "/grants"),
    ("recidivism", "/recidivism"),
    ("monthly", "/monthly"),
    ("inbox", "/inbox"),
    ("audit", "/audit"),
    ("compliance", "/compliance"),
    ("act", "/act"),
];

/// Whether the navigation shows `page` to `user`: only what their role may open.
pub fn visible(page: &str, user: &User) -> bool {
    use crate::server::access::{self, Scope};
    let scope = Scope::of(user);
    match page {
        "tugas" | "act" => super::actions::writes(user.role),
        "overview" => true,
        "audit" => matches!(scope, Scope::All | Scope::Facility(_)),
        "compliance" => access::may_read_log(user.role),
        view => access::may_read_view(&scope, view),
    }
}

/// The `<head>` of every page: the stylesheet and icon inline, readable on a phone.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            link rel="icon" href=(ICON);
            title { (title) }
            style { (PreEscaped(STYLE)) }
        }
    }
}

/// Who a signed-in page is drawn for.
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    pub lang: Lang,
    pub user: &'a User,
    /// The deployment's offset from UTC, in which times are shown.
    pub utc_offset_hours: i64,
    /// The session's CSRF token, for the sign-out form in the header.
    pub csrf: &'a str,
}

/// The frame of every signed-in page.
pub fn layout(
    frame: &Frame<'_>,
    active: &str,
    path_and_query: &str,
    title: &str,
    body: Markup,
) -> Markup {
    let Frame { lang, user, utc_offset_hours, csrf } = *frame;
    let switch = format!(
        "/lang/{}?next={}",
        lang.other().code(),
        form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect::<String>()
    );
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(&format!("{title} · jejak")))
            @let offline = super::offline::uses(user.role);
            body data-user=[offline.then_some(&user.name)] {
                header {
                    a.brand href="/overview" { "jejak" }
                    span { (t(lang, "app.tagline")) }
                    span {
                        (t(lang, "ui.signed_in_as")) " " strong { (user.name) } " (" (user.role.as_str())
                        @if let Some(facility) = &user.facility { ", " (facility) } ")"
                        " · " a #lang href=(switch) { (t(lang, "ui.language")) }
                        " · "
                        form method="post" action="/logout" style="display:inline" {
                            input type="hidden" name="csrf" value=(csrf);
                            button.link #signout type="submit" { (t(lang, "ui.sign_out")) }
                        }
                    }
                }
                nav aria-label=(t(lang, "ui.navigation")) {
                    @for (page, path) in PAGES.iter().filter(|(page, _)| visible(page, user)) {
                        a class=(if *page == active { "on" } else { "" }) href=(path) aria-current=[(*page == active).then_some("page")] { (t(lang, &format!("nav.{page}"))) }
                    }
                }
                main {
                    h1 { (title) }
                    @if offline { (super::offline::panel(lang)) }
                    (body)
                }
                footer { (t(lang, "ui.times_in")) " " (zone_name(utc_offset_hours)) " · jejak" }
                @if offline { script src="/offline.js" defer {} }
            }
        }
    }
}

/// The Indonesian name of a time zone by its offset, as people say it.
fn zone_name(utc_offset_hours: i64) -> String {
    let name = match utc_offset_hours {
        7 => "WIB ",
        8 => "WITA ",
        9 => "WIT ",
        _ => "",
    };
    format!("{name}(UTC{utc_offset_hours:+})")
}

/// The sign-in page.
pub fn sign_in(lang: Lang, error: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            (head(&format!("jejak · {}", t(lang, "ui.sign_in"))))
            body {
                header { span.brand { "jejak" } span { (t(lang, "app.tagline")) }
                    a #lang href=(format!("/lang/{}?next=/", lang.other().code())) { (t(lang, "ui.language")) } }
                div.signin {
                    h1 { (t(lang, "ui.sign_in")) }
                    @if error { p.msg #error { (t(lang, "ui.bad_token")) } }
                    form method="post" action="/login" {
                        label for="token" { (t(lang, "ui.token")) }
                        input #token type="password" name="token" autocomplete="off" required;
                        button #submit type="submit" { (t(lang, "ui.sign_in")) }
                    }
                    p.notes { (t(lang, "ui.token_help")) }
                }
            }
        }
    }
}

/// A page with only a message, for 403s, 404s and failures: `lead` says in the page's
/// language what happened and what to do, `message` the detail.
pub fn message_page(
    lang: Lang,
    frame: Option<&Frame<'_>>,
    title: &str,
    lead: &str,
    message: &str,
) -> Markup {
    let body = html! {
        p.msg #message role="alert" { (message) }
        @if !lead.is_empty() { p.lead #what-to-do { (lead) } }
    };
    match frame {
        Some(frame) => layout(frame, "", "/overview", title, body),
        None => {
            html! { (DOCTYPE) html lang=(lang.code()) { (head(&format!("{title} · jejak"))) body { main { h1 { (title) } (body) } } } }
        }
    }
}

/// The filters every page has: as-of date, period, facility and, where the page can be
/// narrowed by it, skill (`skill` is `None` where it cannot: releases have no skill).
pub fn filters(
    lang: Lang,
    action: &str,
    as_of: Option<&str>,
    (from, to): (Option<&str>, Option<&str>),
    facility: Option<&str>,
    skill: Option<Option<&str>>,
    extra: Markup,
) -> Markup {
    html! {
        form.filters method="get" action=(action) {
            label { (t(lang, "ui.as_of")) input #as_of type="date" name="as_of" value=[as_of]; }
            label { (t(lang, "ui.from")) input #from type="date" name="from" value=[from]; }
            label { (t(lang, "ui.to")) input #to type="date" name="to" value=[to]; }
            label { (t(lang, "ui.facility")) input #facility type="text" name="facility" placeholder=(t(lang, "ui.all")) value=[facility]; }
            @if let Some(skill) = skill {
                label { (t(lang, "ui.skill")) input #skill type="text" name="skill" placeholder=(t(lang, "ui.all")) value=[skill]; }
            }
            (extra)
            button #apply type="submit" { (t(lang, "ui.apply")) }
        }
    }
}

/// The published cut a role that sees aggregates asks for: a period, a facility, and the years
/// it may choose from. No skill: the pages show each skill as rows of their own.
pub struct Cut<'a> {
    pub period: Option<&'a str>,
    pub facility: Option<&'a str>,
    pub years: Vec<i32>,
}

/// The filters of a role that sees aggregates: only published cuts (all time, a calendar year
/// or quarter, everything or a whole facility, the latest data), so that the form offers
/// nothing the server would refuse.
pub fn cut_filters(lang: Lang, action: &str, cut: &Cut<'_>) -> Markup {
    let option = |value: String, label: String| {
        let selected = cut.period == Some(value.as_str());
        html! { option value=(value) selected[selected] { (label) } }
    };
    html! {
        form.filters method="get" action=(action) {
            label { (t(lang, "ui.period")) select #period name="period" {
                (option(String::new(), t(lang, "ui.all_time").to_owned()))
                @for year in &cut.years {
                    (option(year.to_string(), year.to_string()))
                    @for quarter in 1..=4 {
                        (option(format!("{year}-Q{quarter}"), format!("{year} · {} {quarter}", t(lang, "ui.quarter"))))
                    }
                }
            } }
            label { (t(lang, "ui.facility")) input #facility type="text" name="facility" placeholder=(t(lang, "ui.all")) value=[cut.facility]; }
            button #apply type="submit" { (t(lang, "ui.apply")) }
            p.notes { (t(lang, "ui.published_cuts")) }
        }
    }
}

/// What a report reflects, in a line.
pub fn provenance(lang: Lang, report: &Report) -> Markup {
    let p = &report.provenance;
    html! {
        p.meta #provenance {
            (t(lang, "ui.provenance")) " " span #position { (p.log_position) } " · " (t(lang, "ui.hash")) " " (p.chain_hash)
            " · " (p.projection) " v" (p.projection_version)
            @if let Some(definition) = &p.definition_version { " · " (definition) }
            @for (name, value) in &report.parameters { " · " (name) "=" (value) }
        }
    }
}

/// A whole number with its thousands marked as the language writes them: 1.250.000 in Bahasa
/// Indonesia, 1,250,000 in English.
fn grouped(lang: Lang, n: i64) -> String {
    let separator = if lang == Lang::Id { '.' } else { ',' };
    let digits = n.unsigned_abs().to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        text.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(separator);
        }
        text.push(digit);
    }
    text
}

/// A cell as a table shows it, and its class.
fn cell(lang: Lang, value: &Cell) -> (String, &'static str) {
    match value {
        Cell::Int(n) => (grouped(lang, *n), "n"),
        Cell::Tenths(tenths) => {
            let decimal = if lang == Lang::Id { ',' } else { '.' };
            let sign = if *tenths < 0 { "-" } else { "" };
            let whole = grouped(lang, (tenths / 10).abs());
            (format!("{sign}{whole}{decimal}{}", (tenths % 10).abs()), "n")
        }
        Cell::Suppressed => (t(lang, "ui.suppressed").to_owned(), "s"),
        Cell::Withheld => (t(lang, "ui.withheld").to_owned(), "s"),
        Cell::Bool(flag) => ((if *flag { "✓" } else { "–" }).to_owned(), ""),
        _ => (value.display(), ""),
    }
}

/// Columns whose values are codes of a word list or a state: shown as words.
const CODE_COLUMNS: [&str; 23] = [
    "state",
    "status",
    "category",
    "legal_status",
    "venue_type",
    "skill",
    "release_type",
    "role",
    "sex",
    "age_band",
    "offence_group",
    "sentence_band",
    "end_reason",
    "end_category",
    "withdrawal_reason",
    "rejection_reason",
    "grant_policy",
    "recipient",
    "business_status",
    "employment_status",
    "competency_result",
    "certificate_type",
    // The recidivism comparisons' breakdown values (release types, skills, grant or not).
    "value",
];

/// A cell as a table shows it: a code as its word in the language.
fn coded(lang: Lang, column: &str, value: &Cell) -> (String, &'static str) {
    if let Cell::Text(code) = value
        && CODE_COLUMNS.contains(&column)
        && let Some(word) = super::words::word(code, lang == Lang::Id)
    {
        return (word.to_owned(), "");
    }
    cell(lang, value)
}

/// A section as a table; `link` may turn a cell into a link (column name, value → href).
pub fn section_table(
    lang: Lang,
    section: &Section,
    link: &dyn Fn(&str, &Cell) -> Option<String>,
) -> Markup {
    html! {
        h2 { (t(lang, &format!("section.{}", section.name))) }
        @if section.rows.is_empty() {
            p.notes { (t(lang, "ui.no_rows")) }
        } @else {
            div.scroll {
                table data-section=(section.name) {
                    thead { tr { @for column in &section.columns { th { (t(lang, &format!("col.{column}"))) } } } }
                    tbody {
                        @for row in &section.rows {
                            tr {
                                @for (column, value) in section.columns.iter().zip(row) {
                                    @let (text, class) = coded(lang, column, value);
                                    td class=(class) data-col=(column) {
                                        @if let Some(href) = link(column, value) { a href=(href) { (text) } } @else { (text) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Notes of a report (definitions, caveats) as paragraphs.
pub fn notes(report: &Report) -> Markup {
    html! { @for note in &report.notes { p.notes { (note) } } }
}

/// The overview's figures as cards.
pub fn cards(lang: Lang, section: &Section) -> Markup {
    html! {
        div.cards {
            @for row in &section.rows {
                @if let [Cell::Text(name), value] = row.as_slice() {
                    @let (text, _) = cell(lang, value);
                    div.card data-kpi=(name) {
                        div.v { (text) }
                        div.l { (t(lang, &format!("kpi.{name}"))) }
                    }
                }
            }
        }
    }
}

/// The recidivism rates with their 95% intervals, a chart per window, for the proven tier.
/// The groups the time-to-reoffence chart draws: the whole cohort, intention to treat and the
/// two comparison groups (every group is in the table below it).
const CURVES: [(&str, &str); 4] = [
    ("all", "#1d2733"),
    ("itt", "#2f855a"),
    ("nominated_not_enrolled", "#b7791f"),
    ("never_nominated", "#6b46c1"),
];

/// The share not reoffended over the months after release (section `time_to_first_proven`)
/// as step lines, one per group of `CURVES` (a withheld point passed over), with the numbers
/// still followed under the axis. No script.
pub fn survival_chart(lang: Lang, section: &Section) -> Markup {
    let col = |name: &str| section.columns.iter().position(|c| c == name);
    let (Some(group), Some(months), Some(share), Some(at_risk)) =
        (col("group"), col("months"), col("not_reoffended_percent"), col("at_risk_n"))
    else {
        return html! {};
    };
    let (left, top, width, height) = (44.0, 10.0, 480.0, 200.0);
    // The numbers at risk: a line per group under the axis label, one figure per point.
    let below = top + height + 56.0;
    let at_risk_rows: Vec<(&str, Vec<(f64, String)>)> = CURVES
        .iter()
        .map(|(key, colour)| {
            let figures = section
                .rows
                .iter()
                .filter(|row| row[group] == Cell::text(*key))
                .filter_map(|row| match &row[months] {
                    // Short markers: the figures stand in a narrow column.
                    Cell::Int(m) => Some((
                        *m as f64,
                        match &row[at_risk] {
                            hidden @ (Cell::Suppressed | Cell::Withheld) => hidden.display(),
                            shown => cell(lang, shown).0,
                        },
                    )),
                    _ => None,
                })
                .collect();
            (*colour, figures)
        })
        .collect();
    let full_height = below + 14.0 * at_risk_rows.len() as f64 + 6.0;
    let x = |m: f64| left + width * m / 60.0;
    let y = |percent: f64| top + height * (1.0 - percent / 100.0);
    let line = |key: &str| -> String {
        let mut points = vec![(x(0.0), y(100.0))];
        let mut last = 100.0;
        for row in section.rows.iter().filter(|row| row[group] == Cell::text(key)) {
            // A withheld point is passed over (the line steps at the next shown one); the
            // curve ends where no one is followed any more.
            let (Cell::Int(m), Cell::Tenths(tenths)) = (&row[months], &row[share]) else {
                match row[share] {
                    Cell::Suppressed | Cell::Withheld => continue,
                    _ => break,
                }
            };
            let value = *tenths as f64 / 10.0;
            points.push((x(*m as f64), y(last)));
            points.push((x(*m as f64), y(value)));
            last = value;
        }
        points.iter().map(|(px, py)| format!("{px:.1},{py:.1}")).collect::<Vec<_>>().join(" ")
    };
    let title = t(lang, "ui.time_to_reoffence");
    html! {
        h2 { (title) }
        svg role="img" aria-label=(title) width=(left + width + 20.0) height=(full_height)
            style="max-width:100%;height:auto" viewBox=(format!("0 0 {} {}", left + width + 20.0, full_height))
            data-chart="time-to-reoffence" {
            title { (title) }
            line x1=(left) y1=(top) x2=(left) y2=(top + height) stroke="#8a96a3" {}
            line x1=(left) y1=(top + height) x2=(left + width) y2=(top + height) stroke="#8a96a3" {}
            @for percent in [0.0, 50.0, 100.0] {
                text x="2" y=(y(percent) + 4.0) { (percent) "%" }
            }
            @for m in [0.0, 6.0, 12.0, 24.0, 36.0, 60.0] {
                text x=(x(m) - 6.0) y=(top + height + 16.0) { (m) }
            }
            text x=(left + width / 2.0 - 40.0) y=(top + height + 32.0) { (t(lang, "col.months")) }
            @for (key, colour) in CURVES {
                polyline points=(line(key)) fill="none" stroke=(colour) stroke-width="2" {}
            }
            text x="2" y=(below - 4.0) font-size="11" { (t(lang, "ui.at_risk")) }
            @for (n, (colour, figures)) in at_risk_rows.iter().enumerate() {
                g data-at-risk=(CURVES[n].0) fill=(colour) font-size="11" {
                    rect x="2" y=(below + 14.0 * n as f64 + 2.0) width="10" height="10" {}
                    @for (m, figure) in figures {
                        text x=(x(*m) - 8.0) y=(below + 14.0 * n as f64 + 11.0) { (figure) }
                    }
                }
            }
        }
        ul.legend style="list-style:none;padding:0" {
            @for (key, colour) in CURVES {
                li { span style={ "display:inline-block;width:.8em;height:.8em;margin-right:.4em;background:" (colour) } {} (t(lang, &format!("group.{key}"))) }
            }
        }
    }
}

pub fn recidivism_chart(lang: Lang, section: &Section) -> Markup {
    let col = |name: &str| section.columns.iter().position(|c| c == name);
    let (Some(label), Some(window), Some(outcome), Some(rate), Some(low), Some(high)) = (
        col("label"),
        col("window_months"),
        col("outcome"),
        col("rate_percent"),
        col("ci_low_percent"),
        col("ci_high_percent"),
    ) else {
        return html! {};
    };
    let number = |value: &Cell| match value {
        Cell::Tenths(tenths) => Some(*tenths as f64 / 10.0),
        Cell::Int(n) => Some(*n as f64),
        _ => None,
    };
    let mut windows: Vec<i64> = section
        .rows
        .iter()
        .filter_map(|row| match &row[window] {
            Cell::Int(w) => Some(*w),
            _ => None,
        })
        .collect();
    windows.dedup();
    let (left, width, bar_height) = (250.0, 300.0, 22.0);
    let short = |text: String| {
        if text.chars().count() > 38 {
            format!("{}…", text.chars().take(37).collect::<String>())
        } else {
            text
        }
    };
    html! {
        @for w in windows {
            @let rows: Vec<&Vec<Cell>> = section.rows.iter()
                .filter(|row| row[window] == Cell::Int(w) && row[outcome] == Cell::text("proven"))
                .collect();
            @if !rows.is_empty() {
                @let height = 30.0 + rows.len() as f64 * bar_height;
                h2 { (t(lang, "ui.window")) " " (w) " " (t(lang, "ui.months")) }
                svg role="img" width=(left + width + 60.0) height=(height) style="max-width:100%;height:auto" viewBox=(format!("0 0 {} {height}", left + width + 60.0)) data-window=(w) {
                    @for (i, row) in rows.iter().enumerate() {
                        @let y = 20.0 + i as f64 * bar_height;
                        text x="0" y=(y + 14.0) { title { (row[label].display()) } (short(row[label].display())) }
                        rect x=(left) y=(y + 3.0) width=(width) height=(bar_height - 8.0) fill="#eef1f4" {}
                        @match number(&row[rate]) {
                            Some(r) => {
                                rect x=(left) y=(y + 3.0) width=(width * r / 100.0) height=(bar_height - 8.0) fill="#2f855a" {}
                                @if let (Some(lo), Some(hi)) = (number(&row[low]), number(&row[high])) {
                                    line x1=(left + width * lo / 100.0) x2=(left + width * hi / 100.0) y1=(y + 9.0) y2=(y + 9.0) stroke="#1d2733" stroke-width="2" {}
                                }
                                text x=(left + width + 6.0) y=(y + 14.0) { (cell(lang, &row[rate]).0) "%" }
                            }
                            None => { text x=(left + width + 6.0) y=(y + 14.0) { (match row[rate] { Cell::Suppressed => "<5", Cell::Withheld => "x", _ => "—" }) } }
                        }
                    }
                    text x=(left) y="12" { "0%" }
                    text x=(left + width - 30.0) y="12" { "100%" }
                }
                p.notes { (t(lang, "ui.rate")) " · " (t(lang, "ui.interval")) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        assert_eq!(cell(Lang::Id, &Cell::Int(1_250_000)).0, "1.250.000");
        assert_eq!(cell(Lang::En, &Cell::Int(1_250_000)).0, "1,250,000");
        assert_eq!(cell(Lang::Id, &Cell::Int(-1_000)).0, "-1.000");
        assert_eq!(cell(Lang::En, &Cell::Int(999)).0, "999");
        assert_eq!(cell(Lang::Id, &Cell::Tenths(12_345)).0, "1.234,5");
        assert_eq!(cell(Lang::En, &Cell::Tenths(-5)).0, "-0.5");
        assert_eq!(cell(Lang::En, &Cell::Tenths(0)).0, "0.0");
    }
}
