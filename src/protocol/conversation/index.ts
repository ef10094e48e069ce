/**
 * The channel conversation (DESIGN §4.4), written once for both sides: a pure step machine
 * that the node's ChannelService and the client's ClientChannel drive.
 */
export { MAX_RETRIES } from "./retry";
export { type ConversationHolder, type Performer, runConversation, threadOf } from "./run";
export { liveProposals, startConversation } from "./start";
export { step } from "./step";
export type {
  ChainFacts,
  Conversation,
  Effect,
  Event,
  Refusal,
  StepContext,
  StepResult,
  Thread,
  WaitingFor,
} from "./types";
