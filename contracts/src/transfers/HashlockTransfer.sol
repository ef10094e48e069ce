// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITransferDefinition} from "../interfaces/ITransferDefinition.sol";
import {Balance, RegisteredTransfer} from "../interfaces/Types.sol";

/// @title HashlockTransfer
/// @notice Pays the responder when it reveals the pre-image of the lock before the expiry
/// (DESIGN §4.5). A zero pre-image cancels: the initiator keeps the amount.
contract HashlockTransfer is ITransferDefinition {
    struct HashlockState {
        bytes32 lockHash;
        /// @dev Unix seconds; 0 for no expiry.
        uint256 expiry;
    }

    struct HashlockResolver {
        bytes32 preImage;
    }

    /// @notice The initiator must lock a positive amount and the responder start with nothing.
    error InvalidInitialBalance(uint256 initiatorAmount, uint256 responderAmount);
    /// @notice The lock hash is zero.
    error EmptyLockHash();
    /// @notice The transfer expired at `expiry`; now is `timestamp`.
    error TransferExpired(uint256 expiry, uint256 timestamp);
    /// @notice sha256 of the pre-image is not the lock hash.
    error InvalidPreImage(bytes32 lockHash, bytes32 preImageHash);

    string internal constant NAME = "HashlockTransfer";
    string internal constant STATE_ENCODING = "tuple(bytes32 lockHash, uint256 expiry)";
    string internal constant RESOLVER_ENCODING = "tuple(bytes32 preImage)";

    /// @inheritdoc ITransferDefinition
    function create(bytes calldata encodedBalance, bytes calldata encodedState) external view returns (bool) {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        HashlockState memory state = abi.decode(encodedState, (HashlockState));
        if (balance.amount[0] == 0 || balance.amount[1] != 0) {
            revert InvalidInitialBalance(balance.amount[0], balance.amount[1]);
        }
        if (state.lockHash == bytes32(0)) revert EmptyLockHash();
        if (state.expiry != 0 && state.expiry <= block.timestamp) {
            revert TransferExpired(state.expiry, block.timestamp);
        }
        return true;
    }

    /// @inheritdoc ITransferDefinition
    function resolve(bytes calldata encodedBalance, bytes calldata encodedState, bytes calldata encodedResolver)
        external
        view
        returns (Balance memory)
    {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        HashlockState memory state = abi.decode(encodedState, (HashlockState));
        HashlockResolver memory resolver = abi.decode(encodedResolver, (HashlockResolver));

        if (resolver.preImage == bytes32(0)) return balance; // cancelled

        if (state.expiry != 0 && state.expiry <= block.timestamp) {
            revert TransferExpired(state.expiry, block.timestamp);
        }
        bytes32 preImageHash = sha256(abi.encode(resolver.preImage));
        if (preImageHash != state.lockHash) revert InvalidPreImage(state.lockHash, preImageHash);
        balance.amount[1] += balance.amount[0];
        balance.amount[0] = 0;
        return balance;
    }

    /// @inheritdoc ITransferDefinition
    function getRegistryInformation() external view returns (RegisteredTransfer memory) {
        return RegisteredTransfer({
            name: NAME,
            definition: address(this),
            stateEncoding: STATE_ENCODING,
            resolverEncoding: RESOLVER_ENCODING,
            encodedCancel: abi.encode(HashlockResolver({preImage: bytes32(0)}))
        });
    }
}
