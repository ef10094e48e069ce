// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RegisteredTransfer} from "./Types.sol";

/// @title ITransferRegistry
/// @notice The transfer definitions a node accepts, with their encodings (DESIGN §4.5).
interface ITransferRegistry {
    event TransferAdded(string name, address indexed definition);
    event TransferRemoved(string name, address indexed definition);

    /// @notice A definition with this name is already registered.
    error TransferAlreadyRegistered(string name);
    /// @notice No definition with this name is registered.
    error TransferNotRegistered(string name);
    /// @notice The entry has an empty name or a zero definition address.
    error InvalidRegisteredTransfer();

    /// @notice Registers a definition (owner only).
    function addTransferDefinition(RegisteredTransfer calldata definition) external;

    /// @notice Removes a definition by name (owner only).
    function removeTransferDefinition(string calldata name) external;

    /// @notice Every registered definition.
    function getTransferDefinitions() external view returns (RegisteredTransfer[] memory);

    /// @notice The definition registered under `name`; reverts if none is.
    function getTransferDefinition(string calldata name) external view returns (RegisteredTransfer memory);

    /// @notice Whether `definition` is a registered definition's address.
    function isRegistered(address definition) external view returns (bool);
}
