// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITransferDefinition} from "../../src/interfaces/ITransferDefinition.sol";
import {Balance, RegisteredTransfer} from "../../src/interfaces/Types.sol";

/// @title AlwaysPaysResponder
/// @notice Tests only: a throw-away transfer definition whose resolve always pays the
/// responder, whatever the resolver. It proves a definition can be added as a plug-in
/// (src/e2e/definitionPlugin.e2e.test.ts) without touching the node or the client.
contract AlwaysPaysResponder is ITransferDefinition {
    struct State {
        /// @dev Unix seconds: the node routes payments only with an expiry.
        uint256 expiry;
    }

    struct Resolver {
        bytes32 note;
    }

    /// @notice The initiator must lock a positive amount and the responder start with nothing.
    error InvalidInitialBalance(uint256 initiatorAmount, uint256 responderAmount);

    /// @inheritdoc ITransferDefinition
    function create(bytes calldata encodedBalance, bytes calldata encodedState) external pure returns (bool) {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        abi.decode(encodedState, (State));
        if (balance.amount[0] == 0 || balance.amount[1] != 0) {
            revert InvalidInitialBalance(balance.amount[0], balance.amount[1]);
        }
        return true;
    }

    /// @inheritdoc ITransferDefinition
    function resolve(bytes calldata encodedBalance, bytes calldata, bytes calldata)
        external
        pure
        returns (Balance memory)
    {
        Balance memory balance = abi.decode(encodedBalance, (Balance));
        balance.amount[1] += balance.amount[0];
        balance.amount[0] = 0;
        return balance;
    }

    /// @inheritdoc ITransferDefinition
    function getRegistryInformation() external view returns (RegisteredTransfer memory) {
        return RegisteredTransfer({
            name: "AlwaysPaysResponder",
            definition: address(this),
            stateEncoding: "tuple(uint256 expiry)",
            resolverEncoding: "tuple(bytes32 note)",
            encodedCancel: abi.encode(Resolver({note: bytes32(0)}))
        });
    }
}
