/**
 * Internal faults of the codec, as error classes with stable string codes (`ERR_*`).
 * Kafka's own wire error codes live in the generated error table; a class here may name the Kafka
 * code a broker should answer with (`kafkaErrorCode`) when the fault is the client's.
 */
export class OdradekError extends Error {
  readonly code: string;
  /** The Kafka error code a broker answers with when this fault is caused by a request; -1 = unknown. */
  readonly kafkaErrorCode: number;
  constructor(code: string, message: string, kafkaErrorCode = -1) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.kafkaErrorCode = kafkaErrorCode;
  }
}

/** Bytes that do not decode as the message and version they claim to be. Closes a connection. */
export class DecodeError extends OdradekError {
  constructor(message: string) {
    super("ERR_DECODE", message, 42 /* INVALID_REQUEST */);
  }
}

/** A frame whose size prefix is negative or above the configured maximum. */
export class FrameTooLargeError extends OdradekError {
  constructor(readonly size: number, readonly max: number) {
    super("ERR_FRAME_TOO_LARGE", `frame of ${size} bytes exceeds the maximum of ${max}`);
  }
}

/** A record batch whose length, CRC or records are inconsistent. */
export class CorruptRecordError extends OdradekError {
  constructor(message: string) {
    super("ERR_CORRUPT_RECORD", message, 2 /* CORRUPT_MESSAGE */);
  }
}

/** A message set in the old formats (magic 0 or 1), which odradek does not store or serve. */
export class UnsupportedMagicError extends OdradekError {
  constructor(readonly magic: number) {
    super("ERR_UNSUPPORTED_MAGIC", `record batch magic ${magic} is not supported (only magic 2)`, 43 /* UNSUPPORTED_FOR_MESSAGE_FORMAT */);
  }
}

/** A compression codec failure, or an unknown codec id in a batch's attributes. */
export class CompressionError extends OdradekError {
  constructor(message: string, kafkaErrorCode = 2 /* CORRUPT_MESSAGE */) {
    super("ERR_COMPRESSION", message, kafkaErrorCode);
  }
}

/** A message object that cannot be encoded at the requested version (a programming error). */
export class EncodeError extends OdradekError {
  constructor(message: string) {
    super("ERR_ENCODE", message);
  }
}
