/**
 * Finding text in a `YamlDocument` by JSON pointer (RFC 6901): used by the frontends' schema
 * validation and by the passes, so that a problem at `/llm_params/temperature` points at the
 * exact key or value.
 */
import type { YamlDocument, YamlLocation } from "./nodes.js";

export function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The location of a JSON pointer, or of its nearest ancestor that has one. */
export function locate(document: YamlDocument, pointer: string): YamlLocation {
  let p = pointer;
  for (;;) {
    const location = document.locations[p];
    if (location !== undefined) return location;
    if (p === "") return { value: document.span };
    p = p.slice(0, p.lastIndexOf("/"));
  }
}
