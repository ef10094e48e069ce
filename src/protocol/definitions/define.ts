import type { TransferDefinitionRules, TransferDefinitionSpec } from "./types";

/**
 * Completes a definition's typed rules with the encoded form the update logic calls: decode,
 * then the same typed rule, so both paths can never disagree.
 *
 * @example
 * export const myDefinition = defineTransfer({ name: "My", stateEncoding, ...rules });
 */
export function defineTransfer<State, Resolver>(
  spec: TransferDefinitionSpec<State, Resolver>,
): TransferDefinitionRules<State, Resolver> {
  return Object.freeze({
    ...spec,
    encodedCancel: spec.encodeResolver(spec.cancelResolver()),
    createEncoded: (balance, encodedState, now) =>
      spec.create(balance, spec.decodeState(encodedState), now),
    resolveEncoded: (balance, encodedState, encodedResolver, now, deployment) =>
      spec.resolve(
        balance,
        spec.decodeState(encodedState),
        spec.decodeResolver(encodedResolver),
        now,
        deployment,
      ),
  } satisfies TransferDefinitionRules<State, Resolver>);
}
