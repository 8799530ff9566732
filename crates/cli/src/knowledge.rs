//! Choosing the knowledge base: the built-in one, or the built-in one plus a user rule pack.

use std::path::Path;

use threatscribe_kb::KnowledgeBase;

use crate::error::CliError;

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) -> Result<(), CliError> {
    let read = |source| CliError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<_, _>>()
        .map_err(read)?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, base, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let text = std::fs::read_to_string(&path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
            let relative = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let shown = format!("{}/{relative}", base.display());
            out.push((shown, text));
        }
    }
    Ok(())
}

/// The knowledge base to analyse with: built-in, or built-in plus the pack in `dir`.
pub fn load(dir: Option<&Path>) -> Result<&'static KnowledgeBase, CliError> {
    let Some(dir) = dir else {
        return Ok(KnowledgeBase::builtin());
    };
    if !dir.is_dir() {
        return Err(CliError::Unusable(format!(
            "--kb {}: not a directory (a rule pack is laid out like kb/: threats/, controls/, technologies/, tags/, properties/)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    let kb = KnowledgeBase::with_pack(&files)
        .map_err(|errors| CliError::RulePack(errors.iter().map(ToString::to_string).collect()))?;
    // One knowledge base per process, used until it exits.
    Ok(Box::leak(Box::new(kb)))
}
