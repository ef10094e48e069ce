// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ITransferDefinition} from "../interfaces/ITransferDefinition.sol";
import {Balance, RegisteredTransfer} from "../interfaces/Types.sol";

/// @title ThreadTransfer
/// @notice One leg of a payment thread: the payer locks an amount in its channel with the node,
/// the node locks the same amount in its channel with the payee, and the payer pays the payee
/// with cumulative vouchers it signs. Resolving a leg with a voucher pays its responder the
/// voucher's amount (never more than the lock) and returns the rest to its initiator, before
/// the thread's expiry. A resolver with no signature and a zero amount cancels: the initiator
/// keeps the amount, at any time.
/// @dev A voucher is the payer's EIP-712 signature on `Voucher(bytes32 threadId,uint256 amount)`
/// in the domain `{name: "ThreadTransfer", version: "1", chainId, verifyingContract: this}`.
/// Both legs carry the same state, so the voucher that pays the payee also pays the node.
contract ThreadTransfer is ITransferDefinition, EIP712 {
    struct ThreadState {
        address payer;
        address payee;
        bytes32 threadId;
        /// @dev What each leg locks: the initiator's initial balance.
        uint256 amount;
        /// @dev Unix seconds; vouchers are refused from then on. Never 0.
        uint256 expiry;
    }

    /// @notice A voucher: the cumulative amount paid and the payer's signature on it.
    struct ThreadResolver {
        uint256 amount;
        bytes signature;
    }

    /// @notice The initiator must lock a positive amount and the responder start with nothing.
    error InvalidInitialBalance(uint256 initiatorAmount, uint256 responderAmount);
    /// @notice The state's amount is not the amount the initiator locks.
    error LockMismatch(uint256 stateAmount, uint256 balanceAmount);
    /// @notice The payer or payee is the zero address, or they are the same.
    error InvalidParties(address payer, address payee);
    /// @notice The thread id is zero.
    error EmptyThreadId();
    /// @notice The thread expired at `expiry`; now is `timestamp`.
    error TransferExpired(uint256 expiry, uint256 timestamp);
    /// @notice A resolver without a signature must have a zero amount to cancel.
    error InvalidCancel(uint256 amount);
    /// @notice The voucher's signature is malformed (length, `v` or high `s`).
    error InvalidVoucherSignature();
    /// @notice The voucher is signed by `signer`, not by the payer.
    error InvalidVoucherSigner(address payer, address signer);

    string internal constant NAME = "ThreadTransfer";
    string internal constant STATE_ENCODING =
        "tuple(address payer, address payee, bytes32 threadId, uint256 amount, uint256 expiry)";
    string internal constant RESOLVER_ENCODING = "tuple(uint256 amount, bytes signature)";
    bytes32 internal constant VOUCHER_TYPEHASH = keccak256("Voucher(bytes32 threadId,uint256 amount)");

    constructor() EIP712(NAME, "1") {}

    /// @inheritdoc ITransferDefinition
    function create(bytes calldata encodedBalance, bytes calldata encodedState) external view returns (bool) {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        ThreadState memory state = abi.decode(encodedState, (ThreadState));
        if (balance.amount[0] == 0 || balance.amount[1] != 0) {
            revert InvalidInitialBalance(balance.amount[0], balance.amount[1]);
        }
        if (state.amount != balance.amount[0]) revert LockMismatch(state.amount, balance.amount[0]);
        if (state.payer == address(0) || state.payee == address(0) || state.payer == state.payee) {
            revert InvalidParties(state.payer, state.payee);
        }
        if (state.threadId == bytes32(0)) revert EmptyThreadId();
        if (state.expiry <= block.timestamp) revert TransferExpired(state.expiry, block.timestamp);
        return true;
    }

    /// @inheritdoc ITransferDefinition
    function resolve(bytes calldata encodedBalance, bytes calldata encodedState, bytes calldata encodedResolver)
        external
        view
        returns (Balance memory)
    {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        ThreadState memory state = abi.decode(encodedState, (ThreadState));
        ThreadResolver memory resolver = abi.decode(encodedResolver, (ThreadResolver));

        if (resolver.signature.length == 0) {
            if (resolver.amount != 0) revert InvalidCancel(resolver.amount);
            return balance; // cancelled
        }

        if (state.expiry <= block.timestamp) revert TransferExpired(state.expiry, block.timestamp);
        _requirePayer(_voucherDigest(state.threadId, resolver.amount), resolver.signature, state.payer);
        uint256 paid = resolver.amount < balance.amount[0] ? resolver.amount : balance.amount[0];
        balance.amount[0] -= paid;
        balance.amount[1] += paid;
        return balance;
    }

    /// @inheritdoc ITransferDefinition
    function getRegistryInformation() external view returns (RegisteredTransfer memory) {
        return RegisteredTransfer({
            name: NAME,
            definition: address(this),
            stateEncoding: STATE_ENCODING,
            resolverEncoding: RESOLVER_ENCODING,
            encodedCancel: abi.encode(ThreadResolver({amount: 0, signature: ""}))
        });
    }

    /// @notice The EIP-712 digest the payer signs for a voucher of cumulative `amount` on
    /// `threadId`, on this chain and for this deployment.
    function voucherDigest(bytes32 threadId, uint256 amount) external view returns (bytes32) {
        return _voucherDigest(threadId, amount);
    }

    function _voucherDigest(bytes32 threadId, uint256 amount) internal view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOUCHER_TYPEHASH, threadId, amount)));
    }

    function _requirePayer(bytes32 digest, bytes memory signature, address payer) internal pure {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert InvalidVoucherSignature();
        if (recovered != payer) revert InvalidVoucherSigner(payer, recovered);
    }
}
