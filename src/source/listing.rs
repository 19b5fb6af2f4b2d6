//! Path listings of a tree or index, in the form the DataJoint repository
//! view expects: repository-relative file paths with `/` separators, and
//! each submodule as `<path>/.git` so it counts as a repository boundary.

use bstr::BString;

/// Returns true when `path` is `dir` itself or lies below it; an empty
/// `dir` contains every path.
pub fn is_under(path: &[u8], dir: &[u8]) -> bool {
    dir.is_empty() || path == dir || (path.starts_with(dir) && path.get(dir.len()) == Some(&b'/'))
}

/// Lists every entry of an index, submodules as `<path>/.git`.
pub fn index_listing(index: &gix::index::State) -> Vec<BString> {
    index
        .entries()
        .iter()
        .map(|entry| {
            let mut path = entry.path(index).to_owned();
            if entry.mode == gix::index::entry::Mode::COMMIT {
                path.extend_from_slice(b"/.git");
            }
            path
        })
        .collect()
}

/// Lists every file of `tree` and its subtrees, submodules as
/// `<path>/.git`.
pub fn tree_listing(tree: &gix::Tree<'_>) -> gix::Result<Vec<BString>> {
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder)?;
    Ok(recorder
        .records
        .into_iter()
        .filter(|entry| !entry.mode.is_tree())
        .map(|entry| {
            let mut path = entry.filepath;
            if entry.mode.is_commit() {
                path.extend_from_slice(b"/.git");
            }
            path
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::is_under;

    #[test]
    fn is_under_prefix_boundaries() {
        assert!(is_under(b"a/b", b""));
        assert!(is_under(b"a/b", b"a"));
        assert!(is_under(b"a", b"a"));
        assert!(!is_under(b"ab/c", b"a"));
    }
}
