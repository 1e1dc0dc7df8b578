// The parts of `stun` (nodertc/stun 2.x, CommonJS, no bundled types) this package uses.
declare module 'stun' {
  interface StunAttribute {
    readonly type: number;
    readonly value: unknown;
  }
  interface StunMessage {
    readonly type: number;
    readonly transactionId: Buffer;
    isLegacy(): boolean;
    getAttribute(type: number): StunAttribute | undefined;
  }
  interface StunRequest extends StunMessage {
    addAttribute(type: number, ...args: unknown[]): unknown;
  }
  const stun: {
    createMessage(type: number, transaction?: Buffer): StunRequest;
    encode(message: StunMessage): Buffer;
    decode(message: Buffer): StunMessage;
    readonly constants: Readonly<Record<string, number>>;
  };
  export default stun;
}
