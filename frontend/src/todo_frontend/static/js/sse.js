// Server-sent events from a fetch() body, yielded as {event, data} as soon as each one is
// complete. (EventSource cannot POST a message or send the CSRF header.)

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

function parse(block) {
  let event = "message";
  const data = [];
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (!line || line.startsWith(":")) continue; // comments keep the connection alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}

export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = EVENT_END.exec(buffer))) {
      const parsed = parse(buffer.slice(0, end.index));
      buffer = buffer.slice(end.index + end[0].length);
      if (parsed) yield parsed;
    }
  }
}
