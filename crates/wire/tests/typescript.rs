//! `src/generated/wire.ts` and `src/generated/errors.ts`, written from the
//! contract: the one definition of what crosses the bridge and of the error
//! codes. Fails when a committed file is stale; `UPDATE_TS=1 cargo test -p
//! armature-wire` rewrites them.

use armature_wire::{ContentType, ErrorCode, Group, CUSTOM_METHOD, GROUPS, METHODS};

/// A doc comment as JSDoc, indented by `indent`.
fn jsdoc(doc: &str, indent: &str) -> String {
    let lines: Vec<&str> = doc.lines().map(str::trim).collect();
    match lines.as_slice() {
        [] => String::new(),
        [one] => format!("{indent}/** {one} */\n"),
        many => {
            let mut out = format!("{indent}/**\n");
            for line in many {
                out.push_str(&format!("{indent} * {line}\n").replace(" * \n", " *\n"));
            }
            out + &format!("{indent} */\n")
        }
    }
}

/// `URL_LENGTH` as `UrlLength`; variant names stay as they are.
fn pascal(name: &str) -> String {
    if name.chars().any(|c| c.is_ascii_lowercase()) {
        return name.to_owned();
    }
    name.split('_')
        .map(|word| word[..1].to_owned() + &word[1..].to_ascii_lowercase())
        .collect()
}

/// Rust doc links (`[`Ended`]`) read as code in JSDoc.
fn unlink(doc: &str) -> String {
    doc.replace("[`", "`").replace("`]", "`")
}

fn group(group: &Group) -> String {
    let mut out = jsdoc(&unlink(group.doc), "");
    out.push_str(&format!("export const enum {} {{\n", group.name));
    for entry in group.entries {
        out.push_str(&jsdoc(&unlink(entry.doc), "  "));
        out.push_str(&format!("  {} = {},\n", pascal(entry.name), entry.value));
    }
    out + "}\n"
}

fn contract() -> String {
    let mut out = String::from(
        "// Generated from crates/wire by its tests/typescript.rs (cargo test -p armature-wire); do not edit.\n",
    );
    for each in GROUPS {
        out.push('\n');
        out.push_str(&group(each));
    }
    let types: Vec<String> = ContentType::ALL
        .iter()
        .map(|kind| {
            kind.mime()
                .map_or("undefined".to_owned(), |mime| format!("'{mime}'"))
        })
        .collect();
    let methods: Vec<String> = METHODS.iter().map(|m| format!("'{m}'")).collect();
    out.push_str(&format!(
        "\n/** The header value of each `ContentType`. */\nexport const CONTENT_TYPE_NAMES = [{}] as const\n",
        types.join(", ")
    ));
    out.push_str(&format!(
        "\n/** The methods a request record names by index (`DrainRecord.Method`). */\nexport const METHODS = [{}] as const\n",
        methods.join(", ")
    ));
    out.push_str(&format!(
        "\n/** The method code of a method not in `METHODS`: its name comes in the text. */\nexport const CUSTOM_METHOD = {CUSTOM_METHOD}\n"
    ));
    out
}

fn errors() -> String {
    let mut out = String::from(
        "// Generated from crates/wire by its tests/typescript.rs (cargo test -p armature-wire); do not edit.\n\n",
    );
    out.push_str(&jsdoc(&unlink(ErrorCode::GROUP_DOC), ""));
    out.push_str("export const enum Code {\n");
    for code in ErrorCode::ALL {
        out.push_str(&jsdoc(code.doc(), "  "));
        out.push_str(&format!("  {} = '{}',\n", code.name(), code.as_str()));
    }
    out.push_str("}\n\n/** An `ERR_ARMATURE_*` code, as `err.code` holds it. */\nexport type ErrorCode = `${Code}`\n");
    let all: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|code| format!("  '{}',\n", code.as_str()))
        .collect();
    out.push_str(&format!(
        "\n/** Every code, in the order the docs list them. */\nexport const ERROR_CODES = [\n{}] as const satisfies readonly ErrorCode[]\n",
        all.concat()
    ));
    out
}

/// Checks `src/generated/{file}` against `out`, or writes it with `UPDATE_TS`.
fn current(file: &str, out: &str) {
    let path = format!("{}/../../src/generated/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_TS").is_some() {
        std::fs::write(&path, out).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == out,
        "src/generated/{file} is stale: run UPDATE_TS=1 cargo test -p armature-wire"
    );
}

#[test]
fn generated_contract_is_current() {
    current("wire.ts", &contract());
}

#[test]
fn generated_error_codes_are_current() {
    current("errors.ts", &errors());
}
