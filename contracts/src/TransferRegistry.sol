// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ITransferRegistry} from "./interfaces/ITransferRegistry.sol";
import {RegisteredTransfer} from "./interfaces/Types.sol";

/// @title TransferRegistry
/// @notice Owner-managed list of transfer definitions. Off-chain, both parties refuse to create
/// a transfer whose definition is not listed here.
contract TransferRegistry is ITransferRegistry, Ownable {
    RegisteredTransfer[] private _definitions;
    /// @dev Position + 1 in `_definitions`, so that 0 means absent.
    mapping(bytes32 nameHash => uint256) private _positions;
    mapping(address definition => uint256) private _registrations;

    constructor(address owner) Ownable(owner) {}

    /// @inheritdoc ITransferRegistry
    function addTransferDefinition(RegisteredTransfer calldata definition) external onlyOwner {
        if (bytes(definition.name).length == 0 || definition.definition == address(0)) {
            revert InvalidRegisteredTransfer();
        }
        bytes32 nameHash = keccak256(bytes(definition.name));
        if (_positions[nameHash] != 0) revert TransferAlreadyRegistered(definition.name);
        _definitions.push(definition);
        _positions[nameHash] = _definitions.length;
        _registrations[definition.definition] += 1;
        emit TransferAdded(definition.name, definition.definition);
    }

    /// @inheritdoc ITransferRegistry
    function removeTransferDefinition(string calldata name) external onlyOwner {
        bytes32 nameHash = keccak256(bytes(name));
        uint256 position = _positions[nameHash];
        if (position == 0) revert TransferNotRegistered(name);
        address definition = _definitions[position - 1].definition;

        // Swap with the last entry and pop, keeping positions right.
        uint256 last = _definitions.length;
        if (position != last) {
            RegisteredTransfer storage moved = _definitions[last - 1];
            _definitions[position - 1] = moved;
            _positions[keccak256(bytes(moved.name))] = position;
        }
        _definitions.pop();
        delete _positions[nameHash];
        _registrations[definition] -= 1;
        emit TransferRemoved(name, definition);
    }

    /// @inheritdoc ITransferRegistry
    function getTransferDefinitions() external view returns (RegisteredTransfer[] memory) {
        return _definitions;
    }

    /// @inheritdoc ITransferRegistry
    function getTransferDefinition(string calldata name) external view returns (RegisteredTransfer memory) {
        uint256 position = _positions[keccak256(bytes(name))];
        if (position == 0) revert TransferNotRegistered(name);
        return _definitions[position - 1];
    }

    /// @inheritdoc ITransferRegistry
    function isRegistered(address definition) external view returns (bool) {
        return _registrations[definition] != 0;
    }
}
