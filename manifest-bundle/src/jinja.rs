//! The minijinja set-up every template crate renders its job code and READMEs with.

use minijinja::syntax::SyntaxConfig;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

/// An environment holding the built-in `templates` (name, source): blocks trimmed
/// (`trim_blocks`, `lstrip_blocks`), the trailing newline kept, undefined variables an error.
///
/// # Panics
///
/// When a built-in template does not parse (a bug caught by any test that renders).
///
/// ```
/// let env = manifest_bundle::jinja::environment(&[("hello.md", "# {{ name }}\n")]);
/// let text = env.get_template("hello.md").unwrap().render(minijinja::context! { name => "hi" });
/// assert_eq!(text.unwrap(), "# hi\n");
/// ```
pub fn environment(templates: &[(&'static str, &'static str)]) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("valid syntax configuration"),
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    for (name, source) in templates {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("built-in template {name} does not parse: {e}"));
    }
    env
}

/// Renders template `name` of `env` with `ctx`.
pub fn render(
    env: &Environment<'_>,
    name: &str,
    ctx: minijinja::Value,
) -> Result<String, minijinja::Error> {
    env.get_template(name).and_then(|t| t.render(ctx))
}

/// Any serialisable value as a template context value.
pub fn value<T: Serialize + ?Sized>(value: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(value))
}
