// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Balance, RegisteredTransfer} from "./Types.sol";

/// @title ITransferDefinition
/// @notice The rules of one kind of conditional transfer (DESIGN §4.5). States and resolvers
/// are ABI-encoded with the encodings the definition registers; balances as `Balance`.
interface ITransferDefinition {
    /// @notice Whether a transfer may be created with this initial balance and state. Reverts
    /// with a named error when it may not.
    function create(bytes calldata encodedBalance, bytes calldata encodedState) external view returns (bool);

    /// @notice Where the transfer's balance goes, given the resolver. Reverts with a named
    /// error when the resolver is not acceptable.
    function resolve(bytes calldata encodedBalance, bytes calldata encodedState, bytes calldata encodedResolver)
        external
        view
        returns (Balance memory);

    /// @notice The entry the registry keeps for this definition.
    function getRegistryInformation() external view returns (RegisteredTransfer memory);
}
