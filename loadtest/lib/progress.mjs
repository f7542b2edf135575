// One progress line per second on stderr (rewritten in place on a terminal).
export function startProgress(render) {
  const tty = process.stderr.isTTY;
  const timer = setInterval(() => {
    const line = render();
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else process.stderr.write(`${line}\n`);
  }, 1000);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write(`\r\x1b[K${render()}\n`);
  };
}
