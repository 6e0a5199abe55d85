//! The window's commands, by what they are about. Each parses what the page sent, calls
//! the core's action and shapes what it returns for the page; errors go back as
//! `{kind, message}` (`error.rs`).

pub mod import;
pub mod integrations;
pub mod keys;
pub mod page;
pub mod rotation;
pub mod settings;
pub mod team;
pub mod tokens;
pub mod vault;

/// A file the person names in a form, as a whole path: the window has no working
/// directory a person would know. `what` names the field, `example` the file name
/// suggested in the temp folder.
pub(crate) fn full_path(
    what: &str,
    raw: &str,
    example: &str,
) -> crate::error::Result<std::path::PathBuf> {
    let out = std::path::PathBuf::from(raw.trim());
    if out.is_absolute() {
        return Ok(out);
    }
    Err(crate::error::AppError::new(
        "invalid",
        format!(
            "{what}: '{}' is not a full path; give one such as {}",
            out.display(),
            std::env::temp_dir().join(example).display()
        ),
    ))
}
