/**
 * Reads a text/event-stream from a fetch response (EventSource cannot send an Authorization header). Calls `onMessage`
 * per event; comments (keep-alives) are skipped. Resolves when the stream ends.
 */
export async function readEventStream(
  response: Response,
  onMessage: (event: string, data: string) => void,
): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) onMessage(event, data.join('\n'));
      end = buffer.indexOf('\n\n');
    }
  }
}
