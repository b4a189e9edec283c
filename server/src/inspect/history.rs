//! History `created_by` strings as the Dockerfile instructions that made them, the way MicroBadger
//! showed them: `/bin/sh -c #(nop)  CMD ["sh"]` is `CMD ["sh"]`, `/bin/sh -c apk add x` is `RUN apk add x`.

/// The Dockerfile instruction a history command stands for; `None` for an empty command.
pub fn instruction(created_by: &str) -> Option<String> {
    let text = created_by.trim();
    if text.is_empty() {
        return None;
    }
    // BuildKit appends a marker to the commands it records.
    let text = text.strip_suffix("# buildkit").map_or(text, str::trim_end);
    // The classic builder: metadata instructions run as a no-op shell.
    for shell in ["/bin/sh -c #(nop)", "/bin/bash -c #(nop)", "cmd /S /C #(nop)"] {
        if let Some(rest) = text.strip_prefix(shell) {
            return Some(rest.trim().to_string());
        }
    }
    // BuildKit records RUN as `RUN /bin/sh -c …`; the classic builder records the bare shell call.
    let run = text.strip_prefix("RUN ").map(str::trim_start);
    let command = run.unwrap_or(text);
    let command = strip_build_args(command);
    for shell in ["/bin/sh -c ", "/bin/bash -c ", "/bin/sh -o pipefail -c ", "/bin/bash -o pipefail -c ", "cmd /S /C "]
    {
        if let Some(rest) = command.strip_prefix(shell) {
            return Some(format!("RUN {}", rest.trim()));
        }
    }
    if run.is_some() {
        return Some(format!("RUN {command}"));
    }
    Some(text.to_string())
}

/// Commands run with build args are recorded as `|2 A=1 B=2 /bin/sh -c …`.
fn strip_build_args(command: &str) -> &str {
    let Some(rest) = command.strip_prefix('|') else { return command };
    let Some((count, mut rest)) = rest.split_once(' ') else { return command };
    let Ok(count) = count.parse::<usize>() else { return command };
    for _ in 0..count {
        match rest.split_once(' ') {
            Some((arg, tail)) if arg.contains('=') => rest = tail,
            _ => return command,
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::instruction;

    #[test]
    fn classic_builder_commands() {
        assert_eq!(instruction("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]").unwrap(), "CMD [\"/bin/sh\"]");
        assert_eq!(
            instruction(
                "/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2aa78186e4ef0e7486ad55101cefc1fabbc1b385601bb38920 in / "
            )
            .unwrap(),
            "ADD file:9a4f77dfaba7fd2aa78186e4ef0e7486ad55101cefc1fabbc1b385601bb38920 in /"
        );
        assert_eq!(instruction("/bin/sh -c apk add --no-cache curl").unwrap(), "RUN apk add --no-cache curl");
        assert_eq!(instruction("|2 VERSION=1.2 X=y /bin/sh -c make install").unwrap(), "RUN make install");
    }

    #[test]
    fn buildkit_commands() {
        assert_eq!(
            instruction("RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit").unwrap(),
            "RUN apt-get update && apt-get install -y curl"
        );
        assert_eq!(instruction("COPY app /app # buildkit").unwrap(), "COPY app /app");
        assert_eq!(instruction("USER 1000:1000").unwrap(), "USER 1000:1000");
        assert_eq!(instruction("RUN |1 V=2 /bin/sh -c echo $V # buildkit").unwrap(), "RUN echo $V");
        assert_eq!(instruction("  "), None);
    }
}
