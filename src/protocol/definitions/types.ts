import type { Address, Balance, HexString } from "../types";

/**
 * Where a definition runs: the chain and the definition contract's own address, for the rules
 * that check signatures over an EIP-712 domain of the definition (a thread's vouchers). The
 * update logic passes the channel's chain id and the transfer's definition address.
 *
 * @example
 * const deployment: DefinitionDeployment = { chainId: 1337, definition: transfer.transferDefinition };
 */
export interface DefinitionDeployment {
  chainId: number | bigint;
  /** The definition contract's address: its EIP-712 domain's verifying contract. */
  definition: Address;
}

/**
 * A transfer definition as the update logic sees it, knowing only its address: everything
 * works on ABI-encoded states and resolvers (DESIGN §4.4-4.5). Every typed
 * {@link TransferDefinitionRules} is one of these.
 *
 * @example
 * const definition: EncodedTransferDefinition = lookupDefinition(registry, details.transferDefinition);
 * definition.createEncoded(details.transferBalance, details.transferInitialState, now);
 */
export interface EncodedTransferDefinition {
  /** The name it is registered under: "HashlockTransfer", "Withdraw". */
  readonly name: string;
  /** Exactly the contract's `getRegistryInformation().stateEncoding`. */
  readonly stateEncoding: string;
  /** Exactly the contract's `getRegistryInformation().resolverEncoding`. */
  readonly resolverEncoding: string;
  /** The resolver that cancels: equals the contract's `encodedCancel`. */
  readonly encodedCancel: HexString;
  /**
   * Decodes the state and applies the contract's `create` rules. Throws MALFORMED_MESSAGE for
   * bytes that are not the state's canonical encoding, TRANSFER_REJECTED where the contract
   * reverts.
   */
  createEncoded(balance: Balance, encodedState: HexString, now: number): void;
  /**
   * Decodes state and resolver and applies the contract's `resolve` rules: the final balance,
   * or MALFORMED_MESSAGE / RESOLVE_REJECTED. `deployment` is passed on to `resolve`.
   */
  resolveEncoded(
    balance: Balance,
    encodedState: HexString,
    encodedResolver: HexString,
    now: number,
    deployment?: DefinitionDeployment,
  ): Balance;
}

/**
 * The off-chain mirror of one transfer definition contract: its encodings and its `create` and
 * `resolve` rules, which must accept and reject exactly what the contract does.
 *
 * `now` stands for the contract's `block.timestamp` (unix seconds); the caller reads the
 * clock, never the rules.
 *
 * @example
 * hashlock.create(balance, { lockHash: hashlockLockHash(preImage), expiry: 0n }, now);
 * const final = hashlock.resolve(balance, state, { preImage }, now);
 */
export interface TransferDefinitionRules<State, Resolver> extends EncodedTransferDefinition {
  encodeState(state: State): HexString;
  /** Throws MALFORMED_MESSAGE unless `encoded` is the canonical ABI encoding of a state. */
  decodeState(encoded: HexString): State;
  encodeResolver(resolver: Resolver): HexString;
  /** Throws MALFORMED_MESSAGE unless `encoded` is the canonical ABI encoding of a resolver. */
  decodeResolver(encoded: HexString): Resolver;
  /** The resolver that cancels the transfer: the initiator keeps the amount. */
  cancelResolver(): Resolver;
  /** Throws ProtocolError TRANSFER_REJECTED where the contract's `create` reverts. */
  create(balance: Balance, state: State, now: number): void;
  /**
   * The final balance the contract's `resolve` returns, or ProtocolError RESOLVE_REJECTED
   * where it reverts. Never mutates `balance`. `deployment` (the chain and the definition's
   * address) is for rules that check signatures over the definition's own EIP-712 domain;
   * the others ignore it.
   */
  resolve(
    balance: Balance,
    state: State,
    resolver: Resolver,
    now: number,
    deployment?: DefinitionDeployment,
  ): Balance;
}

/** What a definition file writes; {@link defineTransfer} derives the encoded form from it. */
export type TransferDefinitionSpec<State, Resolver> = Omit<
  TransferDefinitionRules<State, Resolver>,
  "encodedCancel" | "createEncoded" | "resolveEncoded"
>;
