/** Input bytes that cannot be a valid message; the server closes the connection on it. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** A value that the chosen version cannot carry; a programming error on our side. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}
