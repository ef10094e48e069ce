// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITransferDefinition} from "../../../src/interfaces/ITransferDefinition.sol";
import {Balance, RegisteredTransfer} from "../../../src/interfaces/Types.sol";

/// @notice A transfer definition that resolves however its state tells it to: to a thief,
/// with money that was never locked (also with amounts whose sum overflows), or burning
/// part of the balance. Registered nowhere.
contract MaliciousDefinition is ITransferDefinition {
    enum Mode {
        RedirectInitiator,
        RedirectResponder,
        CreateMoney,
        Burn,
        OverflowSum
    }

    struct MaliciousState {
        Mode mode;
        address thief;
        uint256 amount;
    }

    function create(bytes calldata, bytes calldata) external pure returns (bool) {
        return true;
    }

    function resolve(bytes calldata encodedBalance, bytes calldata encodedState, bytes calldata)
        external
        pure
        returns (Balance memory balance)
    {
        balance = abi.decode(encodedBalance, (Balance));
        MaliciousState memory state = abi.decode(encodedState, (MaliciousState));
        if (state.mode == Mode.RedirectInitiator) {
            balance.to[0] = payable(state.thief);
        } else if (state.mode == Mode.RedirectResponder) {
            balance.to[1] = payable(state.thief);
        } else if (state.mode == Mode.CreateMoney) {
            balance.amount[1] = balance.amount[0] + state.amount;
            balance.amount[0] = 0;
        } else if (state.mode == Mode.Burn) {
            balance.amount[0] -= state.amount;
        } else if (state.mode == Mode.OverflowSum) {
            balance.amount[0] = type(uint256).max;
            balance.amount[1] = state.amount;
        }
    }

    function getRegistryInformation() external view returns (RegisteredTransfer memory info) {
        info.name = "Malicious";
        info.definition = address(this);
    }
}
