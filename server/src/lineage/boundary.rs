//! Where an image's own layers begin when no base image is known: MicroBadger's history heuristic.
//! Base images end their Dockerfile with `CMD`; what a derived image's Dockerfile adds comes after
//! it in the history, which images inherit from their base.

use app::dto::HistoryEntry;

/// Layers before the last `CMD` (or `ENTRYPOINT`) that is followed by a layer-making step; `None`
/// when there is no such boundary (the history starts with the image's own steps).
pub fn inherited_layers(history: &[HistoryEntry]) -> Option<usize> {
    let mut layers = 0;
    let mut pending = None;
    let mut boundary = None;
    for entry in history {
        let instruction = entry.instruction.as_deref().unwrap_or("");
        if entry.empty_layer {
            if instruction.starts_with("CMD") || instruction.starts_with("ENTRYPOINT") {
                pending = Some(layers);
            }
        } else {
            // A layer after a CMD: that CMD ended a base's Dockerfile.
            boundary = pending.or(boundary);
            pending = None;
            layers += 1;
        }
    }
    boundary.filter(|&inherited| inherited > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(instruction: &str, empty_layer: bool) -> HistoryEntry {
        HistoryEntry {
            created: None,
            created_by: Some(instruction.into()),
            instruction: Some(instruction.into()),
            comment: None,
            empty_layer,
        }
    }

    #[test]
    fn the_last_cmd_before_own_layers_marks_the_base() {
        let history = [
            step("ADD file:abc in /", false),
            step("CMD [\"sh\"]", true),
            step("RUN apk add curl", false),
            step("CMD [\"bash\"]", true),
            step("COPY app /app", false),
            step("RUN make", false),
            step("CMD [\"/app\"]", true),
        ];
        assert_eq!(inherited_layers(&history), Some(2));
    }

    #[test]
    fn no_boundary_without_a_cmd_before_layers() {
        assert_eq!(inherited_layers(&[step("ADD file:abc in /", false), step("CMD [\"sh\"]", true)]), None);
        assert_eq!(inherited_layers(&[step("ENV A=1", true), step("RUN true", false)]), None);
        assert_eq!(inherited_layers(&[]), None);
    }
}
