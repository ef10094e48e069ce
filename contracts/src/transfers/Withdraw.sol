// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ITransferDefinition} from "../interfaces/ITransferDefinition.sol";
import {Balance, RegisteredTransfer} from "../interfaces/Types.sol";

/// @title Withdraw
/// @notice Turns part of the initiator's balance into a withdrawal commitment that both parties
/// sign and the channel pays out on-chain, once (DESIGN §4.5).
/// @dev `data` is the commitment's EIP-712 digest (`channel.withdrawDigest`). The initiator signs
/// it when creating the transfer; the responder's signature on it is the resolver. Once both
/// signed, the amount has left the channel through the commitment, so the transfer resolves to
/// nothing but the fee, which goes to the responder for sending the transaction. An empty
/// signature cancels and returns the amount to the initiator. A responder that signed must
/// resolve a disputed withdrawal before its timeout: after it the initial balance stands.
contract Withdraw is ITransferDefinition {
    struct WithdrawState {
        bytes initiatorSignature;
        address initiator;
        address responder;
        bytes32 data;
        uint256 nonce;
        uint256 fee;
    }

    struct WithdrawResolver {
        bytes responderSignature;
    }

    /// @notice The initiator must lock a positive amount, at least the fee, and the responder
    /// start with nothing.
    error InvalidInitialBalance(uint256 initiatorAmount, uint256 responderAmount, uint256 fee);
    /// @notice A party is the zero address.
    error InvalidParticipants(address initiator, address responder);
    /// @notice The commitment digest is zero.
    error EmptyCommitment();
    /// @notice The signature on the commitment is not `expectedSigner`'s.
    error InvalidCommitmentSignature(address expectedSigner);

    string internal constant NAME = "Withdraw";
    string internal constant STATE_ENCODING =
        "tuple(bytes initiatorSignature, address initiator, address responder, bytes32 data, uint256 nonce, uint256 fee)";
    string internal constant RESOLVER_ENCODING = "tuple(bytes responderSignature)";

    /// @inheritdoc ITransferDefinition
    function create(bytes calldata encodedBalance, bytes calldata encodedState) external pure returns (bool) {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        WithdrawState memory state = abi.decode(encodedState, (WithdrawState));
        if (balance.amount[0] == 0 || balance.amount[1] != 0 || state.fee > balance.amount[0]) {
            revert InvalidInitialBalance(balance.amount[0], balance.amount[1], state.fee);
        }
        if (state.initiator == address(0) || state.responder == address(0)) {
            revert InvalidParticipants(state.initiator, state.responder);
        }
        if (state.data == bytes32(0)) revert EmptyCommitment();
        _requireSigner(state.data, state.initiatorSignature, state.initiator);
        return true;
    }

    /// @inheritdoc ITransferDefinition
    function resolve(bytes calldata encodedBalance, bytes calldata encodedState, bytes calldata encodedResolver)
        external
        pure
        returns (Balance memory)
    {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        WithdrawState memory state = abi.decode(encodedState, (WithdrawState));
        WithdrawResolver memory resolver = abi.decode(encodedResolver, (WithdrawResolver));

        if (resolver.responderSignature.length == 0) return balance; // cancelled

        _requireSigner(state.data, resolver.responderSignature, state.responder);
        balance.amount[0] = 0;
        balance.amount[1] = state.fee;
        return balance;
    }

    /// @inheritdoc ITransferDefinition
    function getRegistryInformation() external view returns (RegisteredTransfer memory) {
        return RegisteredTransfer({
            name: NAME,
            definition: address(this),
            stateEncoding: STATE_ENCODING,
            resolverEncoding: RESOLVER_ENCODING,
            encodedCancel: abi.encode(WithdrawResolver({responderSignature: ""}))
        });
    }

    function _requireSigner(bytes32 digest, bytes memory signature, address signer) internal pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || recovered != signer) revert InvalidCommitmentSignature(signer);
    }
}
