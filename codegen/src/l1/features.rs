//! The cargo features of `constructs`: one per service, and `all`. They live
//! in a marked region of `constructs/Cargo.toml` that the generator rewrites;
//! the rest of the file (the `default` set among it) is hand-written.

pub const BEGIN: &str = "# @generated begin: one feature per service (`cargo run -p codegen` rewrites this region)";
pub const END: &str = "# @generated end";

/// `constructs/Cargo.toml` with its generated region holding `services`.
pub fn cargo_toml(current: &str, services: &[String]) -> Result<String, String> {
    let (Some(start), Some(end)) = (current.find(BEGIN), current.find(END)) else {
        return Err(format!(
            "constructs/Cargo.toml has no generated features region (a line `{BEGIN}` and a line `{END}` under [features])"
        ));
    };
    let mut region = String::from(BEGIN);
    region.push('\n');
    region.push_str("all = [\n");
    for s in services {
        region.push_str(&format!("    {s:?},\n"));
    }
    region.push_str("]\n");
    for s in services {
        region.push_str(&format!("{s} = []\n"));
    }
    let text = format!("{}{region}{}", &current[..start], &current[end..]);
    // The hand-written default set must name generated features.
    if let Some(line) = text.lines().find(|l| l.trim_start().starts_with("default = [")) {
        for name in line.split('"').skip(1).step_by(2) {
            if !services.iter().any(|s| s == name) {
                return Err(format!("the default feature {name:?} is not a service"));
            }
        }
    }
    Ok(text)
}
