//! The benchmarks page: a title and introduction, then one section per
//! pair of configurations. A run rewrites its own pair's section and keeps
//! the others, so comparisons made at different times share one page.

/// What a page starts with when it has nothing yet.
const INTRO: &str = "# Benchmarks\n\n\
    Each section compares two cluster configurations with `mooseng-bench`; \
    rerunning a pair replaces its section and keeps the others.\n";

/// The heading of the section comparing `a` with `b`.
pub fn heading(a: &str, b: &str) -> String {
    format!("## `{a}` vs `{b}`")
}

/// Byte offsets of the lines of `page` that start a section (`## `).
fn section_starts(page: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(page.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&start| page[start..].starts_with("## "))
        .collect()
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// `page` with `section` in place of the section of the same heading (its
/// first line), or added at the end if there is none.
pub fn update(page: &str, section: &str) -> String {
    let starts = section_starts(page);
    let head = &page[..starts.first().copied().unwrap_or(page.len())];
    let head = if head.trim().is_empty() { INTRO } else { head };
    let ends = starts.iter().skip(1).copied().chain([page.len()]);
    let mut sections: Vec<&str> = starts.iter().zip(ends).map(|(&s, e)| &page[s..e]).collect();
    match sections
        .iter_mut()
        .find(|s| first_line(s) == first_line(section))
    {
        Some(old) => *old = section,
        None => sections.push(section),
    }
    let mut out = head.trim_end().to_owned();
    out.push('\n');
    for part in sections {
        out.push('\n');
        out.push_str(part.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_page_gets_the_introduction_then_the_section() {
        let page = update("", "## `a` vs `b`\n\nnumbers\n");
        assert!(page.starts_with("# Benchmarks\n\nEach section"), "{page}");
        assert!(
            page.ends_with("others.\n\n## `a` vs `b`\n\nnumbers\n"),
            "{page}"
        );
    }

    #[test]
    fn a_rerun_replaces_its_section_and_keeps_the_others() {
        let page = "# Benchmarks\n\nintro\n\n## `a` vs `b`\n\nold ab\n\n## `a` vs `c`\n\nac\n";
        let page = update(page, &format!("{}\n\nnew ab\n", heading("a", "b")));
        assert_eq!(
            page,
            "# Benchmarks\n\nintro\n\n## `a` vs `b`\n\nnew ab\n\n## `a` vs `c`\n\nac\n"
        );
        let page = update(&page, "## `a` vs `d`\n\nad");
        assert!(
            page.ends_with("## `a` vs `c`\n\nac\n\n## `a` vs `d`\n\nad\n"),
            "{page}"
        );
        assert_eq!(section_starts(&page).len(), 3);
    }
}
